// swift-tools-version:6.0
import PackageDescription

// Debian's libtorch-dev installs its C++ API headers one level below /usr/include.
let torchIncludes: [String] = [
    "-I/usr/include/torch/csrc/api/include",
]

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
                .unsafeFlags(torchIncludes + ["-Wno-deprecated-declarations", "-O2"]),
            ],
            linkerSettings: [
                .linkedLibrary("torch"),
                .linkedLibrary("torch_cpu"),
                .linkedLibrary("c10"),
            ]
        ),
        .target(
            name: "VideoSeg",
            dependencies: ["CFFmpeg", "CTorchBridge", .product(name: "Logging", package: "swift-log")]
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
            ]
        ),
        .testTarget(
            name: "VideoSegTests",
            dependencies: ["VideoSeg", "CFFmpeg"]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["VideoSeg"]
        ),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
