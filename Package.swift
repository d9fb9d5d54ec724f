// swift-tools-version:6.0
import PackageDescription

/// A C library reached through pkg-config: one `.systemLibrary` shim target per library.
func shim(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(name: name, pkgConfig: pkgConfig, providers: [.apt([apt])])
}

let package = Package(
    name: "harness",
    products: [
        .executable(name: "harness", targets: ["harness"]),
        .executable(name: "treectl", targets: ["treectl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
    ],
    targets: [
        // Layer 1: C shims, nothing but module maps and static inline wrappers.
        shim("CGLib", pkgConfig: "gio-2.0", apt: "libglib2.0-dev"),
        shim("CLibOSTree", pkgConfig: "ostree-1", apt: "libostree-dev"),
        shim("CLibDNF", pkgConfig: "libdnf", apt: "libdnf-dev"),
        shim("CLibRepo", pkgConfig: "librepo", apt: "librepo-dev"),
        shim("CLibSolv", pkgConfig: "libsolvext", apt: "libsolvext-dev"),
        shim("CLibRPM", pkgConfig: "rpm", apt: "librpm-dev"),
        shim("CLibArchive", pkgConfig: "libarchive", apt: "libarchive-dev"),
        shim("CLibGuestfs", pkgConfig: "libguestfs", apt: "libguestfs-dev"),
        shim("CLibvirt", pkgConfig: "libvirt-qemu", apt: "libvirt-dev"),
        // Linux system calls glibc does not wrap (openat2).
        .systemLibrary(name: "CLinux"),

        // Layer 2: one Swift wrapper per C library.
        // GLib's error type, for every library that reports through GError.
        .target(name: "GLib", dependencies: ["CGLib"]),
        .target(name: "OSTree", dependencies: ["CLibOSTree", "GLib", "ToolSupport"]),
        .target(name: "RPM", dependencies: ["CLibRPM", "ToolSupport"]),
        .target(name: "Archive", dependencies: ["CLibArchive", "ToolSupport"]),
        .target(name: "Solver", dependencies: ["CLibDNF", "CLibSolv", "GLib", "RPM", "ToolSupport"]),
        .target(name: "RepoFetch", dependencies: ["CLibRepo", "GLib", "ToolSupport"]),
        .target(name: "Guestfs", dependencies: ["CLibGuestfs"]),
        .target(name: "Libvirt", dependencies: ["CLibvirt", "ToolSupport"]),

        // Shared plumbing: progress on stderr, running programs, scratch directories, digests,
        // system-call errors, trees whose paths resolve inside them.
        .target(name: "ToolSupport", dependencies: [
            "CLinux",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "SystemPackage", package: "swift-system"),
            .product(name: "Subprocess", package: "swift-subprocess"),
        ]),

        // Layer 3: the core.
        .target(name: "Treefile", dependencies: ["Yams", "ToolSupport"]),
        .target(name: "TreeAssembly", dependencies: ["OSTree", "RPM", "Archive", "ToolSupport"]),
        // Repository definitions and package downloads, shared by compose and the client.
        .target(name: "PackageSources", dependencies: ["TreeAssembly", "Solver", "RepoFetch", "ToolSupport"]),
        .target(name: "Compose", dependencies: [
            "Treefile", "TreeAssembly", "PackageSources", "Solver", "RepoFetch", "OSTree", "RPM", "ToolSupport",
        ]),
        // The client's core: deployments, origins, layering and overrides, rollback.
        .target(name: "Deploy", dependencies: [
            "TreeAssembly", "PackageSources", "Solver", "OSTree", "RPM", "ToolSupport",
        ]),

        // Layer 4: publishing, images and machines.
        .target(name: "Publish", dependencies: ["CLinux", "OSTree", "ToolSupport", "Yams"]),
        .target(name: "ImageBuild", dependencies: ["Guestfs", "OSTree", "ToolSupport", "Yams"]),
        .target(name: "Machine", dependencies: ["Libvirt", "Results", "ToolSupport"]),

        // What runs produce (results, boot profiles, the history) and the reports written from
        // them: no C library, so its tests test strings, not a linker.
        .target(name: "Results", dependencies: ["Kola", "ToolSupport"]),
        // kola's test format: external tests and their metadata, denylists, target filters.
        .target(name: "Kola", dependencies: ["ToolSupport", "Yams"]),

        // Layer 5: scenarios and kola-style tests on booted images.
        .target(name: "Scenarios", dependencies: [
            "Compose", "Deploy", "ImageBuild", "Kola", "Machine", "OSTree", "Publish", "Results", "ToolSupport", "Yams",
        ]),

        // Bisecting a failing compose: package changes, candidates, test runs.
        .target(name: "Bisect", dependencies: ["Compose", "OSTree", "RPM", "Scenarios", "ToolSupport"]),

        // Layer 6: command-line front ends.
        .executableTarget(name: "harness", dependencies: [
            "Bisect", "Compose", "Treefile", "ImageBuild", "Machine", "OSTree", "Publish", "Scenarios", "ToolSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "treectl", dependencies: [
            "Deploy", "ToolSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .target(name: "TestSupport", dependencies: [
            "ToolSupport", .product(name: "Crypto", package: "swift-crypto"),
        ], path: "Tests/TestSupport"),
        .testTarget(name: "TreefileTests", dependencies: ["Treefile", "TestSupport"]),
        .testTarget(name: "ComposeTests", dependencies: ["Compose", "TreeAssembly", "OSTree", "RPM", "TestSupport", "ToolSupport"]),
        .testTarget(name: "ImageTests", dependencies: ["ImageBuild", "Libvirt", "Machine", "TestSupport", "ToolSupport"]),
        .testTarget(name: "ResultsTests", dependencies: ["Results", "TestSupport", "ToolSupport"]),
        .testTarget(name: "KolaTests", dependencies: ["Kola", "TestSupport", "ToolSupport"]),
        .testTarget(name: "ScenarioTests", dependencies: ["Scenarios", "Machine", "ImageBuild", "TestSupport", "ToolSupport"]),
        .testTarget(name: "PublishTests", dependencies: ["Publish", "OSTree", "TestSupport", "ToolSupport"]),
        .testTarget(name: "BisectTests", dependencies: ["Bisect", "Compose", "OSTree", "RPM", "Scenarios", "TestSupport", "ToolSupport"]),
        .testTarget(name: "TreectlTests", dependencies: ["Deploy", "Compose", "OSTree", "TestSupport", "ToolSupport", "CLinux"]),
    ]
)
