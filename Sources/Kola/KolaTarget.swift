import Foundation
import Glibc

/// Where a run puts kola tests, as kola's `filterTests` sees it: the platform (always
/// `qemu`: harness boots under libvirt and QEMU, so `platform-independent` tests run too), the
/// host's architecture, the distribution (`harness run --distro`), and the run's tags and
/// name patterns. It says which tests kola would leave out, and why, and what harness reads
/// of a test but cannot honour.
public struct KolaTarget: Sendable {
    public static let platform = "qemu"

    /// RPM's name of the architecture (`x86_64`, `aarch64`: uname's).
    public var architecture: String
    /// kola's distribution (`fcos`, `rhcos`, `scos`); nil when the run names none.
    public var distribution: String?
    /// `--tag`s of the run.
    public var tags: [String]
    /// Test names or globs of the run; a test named by one runs whatever its `requiredTag`.
    public var patterns: [String]

    public init(distribution: String? = nil, tags: [String] = [], patterns: [String] = [],
                architecture: String = KolaTarget.hostArchitecture) {
        self.distribution = distribution
        self.tags = tags
        self.patterns = patterns
        self.architecture = architecture
    }

    /// uname's machine, which for the architectures kola knows is RPM's name as well.
    public static var hostArchitecture: String {
        var names = utsname()
        uname(&names)
        return withUnsafeBytes(of: &names.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// Why kola would leave `test` out of this run, or nil when it would run it.
    public func skipReason(for test: ExternalTest) -> String? {
        let metadata = test.metadata
        if let scope = metadata.platforms, !scope.admits(Self.platform) {
            return "platforms '\(scope)': this run is on \(Self.platform)"
        }
        if let scope = metadata.architectures, !scope.admits(architecture) {
            return "architectures '\(scope)': this host is \(architecture)"
        }
        if let scope = metadata.distros, !scope.admits(distribution) {
            return "distros '\(scope)': " + (distribution.map { "this run's distribution is \($0)" } ?? "this run names no distribution (--distro)")
        }
        if let required = metadata.requiredTag, patterns.isEmpty {
            if !tags.contains(where: { $0 == required || test.tags.contains($0) }) {
                return "requiredTag '\(required)': runs with --tag \(required), or when named"
            }
        }
        return nil
    }

    /// One line for each thing of `test`'s metadata that harness reads but does not act on,
    /// naming the test and the key: kola keys it ignores, and `additionalDisks` options (the
    /// disk is attached as a plain virtio disk of the size given).
    public static func warnings(for test: ExternalTest) -> [String] {
        let keys = test.metadata.ignoredKeys.map { "\(test.name): kola key '\($0)' is not honoured by harness run" }
        let diskOptions = test.metadata.additionalDisks.compactMap { disk -> String? in
            let parts = disk.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            return "\(test.name): additionalDisks '\(disk)': '\(parts[1])' is not honoured; a plain \(parts[0]) disk is attached"
        }
        return keys + diskOptions
    }
}
