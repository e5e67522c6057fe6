import Foundation
import Testing

extension EndToEnd {
    /// SIGINT or SIGTERM at seeded random moments in the first second and a half of a run: while
    /// libtorch loads (before `main`), while the model is prepared, while the outputs open and
    /// while frames flow. Whatever the moment, the run ends within seconds, leaves no partial or
    /// hidden file beside its outputs, and what it did write plays. The child starts with both
    /// signals at their default action (a shell's background job would ignore SIGINT).
    @Suite struct SignalFuzz {
        @Test func signalsAtRandomMomentsLeaveNothingPartial() throws {
            let scratch = try Scratch()
            let input = scratch.path("in.mp4")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-f", "lavfi", "-i", "sine=frequency=440",
                        "-t", "4", "-c:v", "libx264", "-g", "10", "-c:a", "aac", "-shortest", input])
            let model = try makeChannelModel(in: scratch)
            var random = SplitMix64(seed: 0x51_6E_A1)
            let rounds = Int(ProcessInfo.processInfo.environment["VIDEOSEG_SIGNAL_ROUNDS"] ?? "") ?? 8
            for round in 0..<rounds {
                let folder = scratch.path("round-\(round)")
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
                let delay = Double(random.next() % 1500) / 1000
                let number = random.next() % 2 == 0 ? SIGINT : SIGTERM
                let label = "round \(round): signal \(number) after \(delay) s"
                let output = folder + "/out.mp4", masks = folder + "/masks"
                let (status, reason, seconds) = try signalled(["segment", input, "-o", output, "--masks", masks, "--model", model,
                                                               "--threads", "1", "-q"], number: number, after: delay)
                #expect(seconds < 10, "\(label): ended \(seconds) s after the signal")
                // Ended by the signal before `main` could take it, stopped (130), or done first (0).
                let byDefaultAction = reason == .uncaughtSignal && status == number
                #expect(byDefaultAction || [0, 130].contains(status), "\(label): exit \(status) (\(reason))")
                let left = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
                #expect(left.allSatisfy { !$0.hasPrefix(".") && !$0.contains("partial") }, "\(label): left \(left)")
                if FileManager.default.fileExists(atPath: output) {
                    #expect(try Probe.decodedFrameCount(output) > 0, "\(label): the output does not play")
                }
            }
        }

        /// Runs `videoseg` with `arguments`, sends `number` after `delay` seconds, and returns how
        /// it ended and how long after the signal.
        private func signalled(_ arguments: [String], number: Int32, after delay: Double) throws
            -> (Int32, Process.TerminationReason, Double)
        {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: videosegBinary)
            process.arguments = arguments
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            let sent = Date()
            kill(process.processIdentifier, number)
            process.waitUntilExit()
            return (process.terminationStatus, process.terminationReason, Date().timeIntervalSince(sent))
        }
    }
}
