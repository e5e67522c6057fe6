// swift-tools-version:6.0
import Foundation
import PackageDescription

/// The libtorch the bridge is built against and linked with.
///
/// Without `VIDEOSEG_LIBTORCH`: Debian's libtorch-dev (CPU only), whose C++ API headers sit one
/// level below /usr/include and whose libraries are on the default search path.
/// With `VIDEOSEG_LIBTORCH=DIR`: a libtorch folder with `include/` and `lib/`, such as the `torch`
/// folder of a PyPI wheel (`python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))'`)
/// or an unpacked libtorch archive, CUDA builds included. `DIR/lib` goes into the binary's
/// run-time search path (rpath), so it runs without LD_LIBRARY_PATH.
struct Libtorch {
    var cxxFlags: [String]
    var linkerFlags: [String]
    var libraries: [String]

    static func resolve(_ environment: [String: String]) -> Libtorch {
        guard let folder = environment["VIDEOSEG_LIBTORCH"], !folder.isEmpty else {
            return Libtorch(cxxFlags: ["-I/usr/include/torch/csrc/api/include"], linkerFlags: [], libraries: ["torch", "torch_cpu", "c10"])
        }
        let root = URL(fileURLWithPath: folder).standardizedFileURL.path
        let lib = root + "/lib"
        var cxxFlags = ["-I\(root)/include", "-I\(root)/include/torch/csrc/api/include"]
        // PyPI wheels before 2.6 were built with the pre-C++11 std::string ABI; their CMake
        // config says so (TORCH_CXX_FLAGS), and the bridge must match it.
        let config = (try? String(contentsOfFile: root + "/share/cmake/Torch/TorchConfig.cmake", encoding: .utf8)) ?? ""
        if config.contains("_GLIBCXX_USE_CXX11_ABI=0") { cxxFlags.append("-D_GLIBCXX_USE_CXX11_ABI=0") }
        var libraries = ["torch", "torch_cpu", "c10"]
        // A CUDA build: link its CUDA half too (the bridge also loads it from the same folder
        // at run time, should a linker have dropped it).
        for cuda in ["torch_cuda", "c10_cuda"] where FileManager.default.fileExists(atPath: "\(lib)/lib\(cuda).so") {
            libraries.append(cuda)
        }
        return Libtorch(cxxFlags: cxxFlags, linkerFlags: ["-L\(lib)", "-Xlinker", "-rpath", "-Xlinker", lib], libraries: libraries)
    }
}

let libtorch = Libtorch.resolve(Context.environment)

let package = Package(
    name: "VideoSeg",
    products: [
        .library(name: "VideoSeg", targets: ["VideoSeg"]),
        .executable(name: "videoseg", targets: ["videoseg"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        // The preview page (VideoSegPreview): an HTTP server and Prometheus metrics.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev", "libavdevice-dev", "libswresample-dev"])]
        ),
        .target(
            name: "CTorchBridge",
            cxxSettings: [
                .unsafeFlags(libtorch.cxxFlags + ["-Wno-deprecated-declarations", "-O2"]),
            ],
            linkerSettings: libtorch.libraries.map { .linkedLibrary($0) } + [
                .linkedLibrary("dl"),
                .unsafeFlags(libtorch.linkerFlags),
            ]
        ),
        // The library, one target per layer: every import points down this list, and the build
        // refuses a loop. Only Media links FFmpeg and only Model links libtorch.
        .target(name: "VideoSegCore", dependencies: [.product(name: "Logging", package: "swift-log")]),
        .target(name: "VideoSegMedia", dependencies: ["VideoSegCore", "CFFmpeg", .product(name: "Logging", package: "swift-log")]),
        // Optimised in debug builds too: its per-class loops run on SIMD vectors, which unoptimised
        // code turns into generic calls per lane (a 320x240 live run fell to 3 frames a second).
        .target(
            name: "VideoSegModel", dependencies: ["VideoSegCore", "CTorchBridge"],
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        // Optimised in debug builds too, for the same reason: its loops touch every sample of
        // every frame, and the end-to-end tests run the debug build live (a 320x240 camera run
        // processed 8-11 frames a second unoptimised on a slow day).
        .target(
            name: "VideoSegRender", dependencies: ["VideoSegCore", "VideoSegMedia", "VideoSegModel"],
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        .target(name: "VideoSegOutput", dependencies: ["VideoSegCore", "VideoSegMedia", "VideoSegModel", "VideoSegRender"]),
        .target(
            name: "VideoSegPipeline",
            dependencies: ["VideoSegCore", "VideoSegMedia", "VideoSegModel", "VideoSegRender", "VideoSegOutput"]
        ),
        .target(
            name: "VideoSegBatch",
            dependencies: ["VideoSegCore", "VideoSegMedia", "VideoSegModel", "VideoSegOutput", "VideoSegPipeline"]
        ),
        // The umbrella: re-exports the layers' public API, so `import VideoSeg` is all a user needs.
        .target(
            name: "VideoSeg",
            dependencies: ["VideoSegCore", "VideoSegMedia", "VideoSegModel", "VideoSegRender", "VideoSegOutput", "VideoSegPipeline", "VideoSegBatch"]
        ),
        // The live preview page: its own target, so the library stays free of the server stack.
        .target(
            name: "VideoSegPreview",
            dependencies: [
                "VideoSeg",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "videoseg",
            dependencies: [
                "VideoSeg",
                "VideoSegPreview",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "VideoSegTests",
            dependencies: ["VideoSeg", "CFFmpeg", "VideoSegCore", "VideoSegMedia", "VideoSegModel", "VideoSegRender", "VideoSegOutput", "VideoSegPipeline", "VideoSegBatch"]
        ),
        // A layer's own tests where they need nothing above it.
        .testTarget(name: "VideoSegCoreTests", dependencies: ["VideoSegCore"]),
        .testTarget(name: "VideoSegPreviewTests", dependencies: ["VideoSegPreview", "VideoSegPipeline"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["VideoSeg", "VideoSegCore", "VideoSegMedia", "VideoSegModel", "VideoSegRender", "VideoSegOutput", "VideoSegPipeline", "VideoSegBatch"]
        ),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
