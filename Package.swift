// swift-tools-version:6.2
// FieldSync: offline-first sync of visit records and PEP drafts.
//
// Modules are split by dependency weight (as Hummingbird does):
// - FieldSyncProtocol (Protocol/): the shared model, merge rules and wire types. No dependencies,
//   so a device app links it without pulling in a server stack.
// - FieldSyncCompliance (Protocol/): the statutory timing rules (visits, PEPs, working days),
//   which only the server runs; their answers (`ComplianceRow`) are wire types in FieldSyncProtocol.
// - FieldSyncServer (Server/): HTTP API (Hummingbird 2), SQLite storage (GRDB), merging, access.
// - FieldSyncClient (Client/): the device library: local GRDB store, outbox, and a transport seam (AsyncHTTPClient
//   on Linux, URLSession on Apple platforms).
// - Sources/: the thin executables `fieldsync-server`, `fieldsync` and the `fieldsync-bench` workload.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "FieldSync",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "FieldSyncProtocol", targets: ["FieldSyncProtocol"]),
        .library(name: "FieldSyncCompliance", targets: ["FieldSyncCompliance"]),
        .library(name: "FieldSyncServer", targets: ["FieldSyncServer"]),
        .library(name: "FieldSyncClient", targets: ["FieldSyncClient"]),
        .executable(name: "fieldsync-server", targets: ["fieldsync-server"]),
        .executable(name: "fieldsync", targets: ["fieldsync"]),
        .executable(name: "fieldsync-bench", targets: ["fieldsync-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .target(
            name: "FieldSyncProtocol",
            path: "Protocol/Sources/FieldSyncProtocol",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FieldSyncCompliance",
            dependencies: ["FieldSyncProtocol"],
            path: "Protocol/Sources/FieldSyncCompliance",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FieldSyncServer",
            dependencies: [
                "FieldSyncProtocol",
                "FieldSyncCompliance",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, which GRDB links: the writer's multi-row inserts bind through it.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                // The connection guard sits in the HTTP/1 pipeline (parser errors, request parts).
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                // Counters and histograms (swift-metrics), exposed as Prometheus text on the metrics listener.
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                // gzip for pull pages when the device asks for it (Accept-Encoding).
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            path: "Server/Sources/FieldSyncServer",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FieldSyncClient",
            dependencies: [
                "FieldSyncProtocol",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                // Linux transport: an event-loop HTTP client that waits without spinning.
                .product(
                    name: "AsyncHTTPClient", package: "async-http-client",
                    condition: .when(platforms: [.linux])
                ),
                .product(name: "NIOCore", package: "swift-nio", condition: .when(platforms: [.linux])),
                .product(name: "NIOHTTP1", package: "swift-nio", condition: .when(platforms: [.linux])),
                .product(name: "NIOPosix", package: "swift-nio", condition: .when(platforms: [.linux])),
                .product(name: "NIOHTTPCompression", package: "swift-nio-extras", condition: .when(platforms: [.linux])),
            ],
            path: "Client/Sources/FieldSyncClient",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "fieldsync-server",
            dependencies: [
                "FieldSyncServer",
                "FieldSyncProtocol",
                "FieldSyncCompliance",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/fieldsync-server",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "fieldsync",
            dependencies: [
                "FieldSyncClient",
                "FieldSyncProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/fieldsync",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "fieldsync-bench",
            dependencies: [
                "FieldSyncClient",
                "FieldSyncProtocol",
                // The seeded generator the tests use too (one SplitMix64 for all).
                "FieldSyncTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // W2 with --accept-gzip: the socket transport inflates gzipped pages itself.
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Sources/fieldsync-bench",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FieldSyncProtocolTests",
            dependencies: [
                "FieldSyncProtocol",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FieldSyncComplianceTests",
            dependencies: [
                "FieldSyncCompliance",
                "FieldSyncProtocol",
                "FieldSyncTestSupport",
            ],
            swiftSettings: swiftSettings
        ),
        // What the server, client and end-to-end tests share: the built executables, a server
        // process on a free loopback port, commands run to completion, a fault-injecting proxy and
        // a seeded generator. A library, since test targets cannot depend on one another.
        .target(
            name: "FieldSyncTestSupport",
            path: "Tests/Support",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FieldSyncServerTests",
            dependencies: [
                "FieldSyncServer",
                "FieldSyncProtocol",
                "FieldSyncClient",
                "FieldSyncTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // The client library itself (the real FieldSyncDevice over its transport) against a real
        // server process, directly and through slow and dropping proxies.
        .testTarget(
            name: "FieldSyncClientTests",
            dependencies: [
                "FieldSyncClient",
                "FieldSyncProtocol",
                "FieldSyncTestSupport",
                "fieldsync-server",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "FieldSyncProtocol",
                "FieldSyncTestSupport",
                "fieldsync-server",
                "fieldsync",
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
