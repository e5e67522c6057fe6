import Foundation
import Testing

extension EndToEnd {
    /// scripts/gpu-check.sh is meant for a GPU machine without Swift; its `--cpu` mode builds the
    /// same bridge and driver with CMake against Debian's libtorch and runs the path CUDA takes on
    /// the CPU, so the script, its CMake project, the driver and that path are tested here.
    @Suite struct GPUCheckScript {
        @Test func theCPUModeBuildsRunsAndCompares() throws {
            let run = try runProcess("/bin/bash", [repositoryRoot.appendingPathComponent("scripts/gpu-check.sh").path, "--cpu"],
                                     timeout: 300)
            #expect(!run.timedOut, "gpu-check.sh --cpu ran past 5 minutes")
            #expect(run.status == 0, "exit \(run.status): \(run.stdout)\n\(run.stderr)")
            #expect(run.stdout.contains("libtorch 1.13"), "\(run.stdout)")
            for batch in [1, 3, 4] {
                let line = run.stdout.split(separator: "\n").first { $0.contains("batch  \(batch) ") }.map(String.init) ?? ""
                #expect(line.contains("frames/s") && line.contains("100.0000% equal") && line.hasSuffix("ok"), "batch \(batch): \(run.stdout)")
            }
            #expect(run.stderr.contains("gpu-check: all passed"), "\(run.stderr)")
        }
    }
}
