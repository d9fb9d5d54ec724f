import Compose
import Foundation
import OSTree
import TestSupport
import ToolSupport

/// One compose setting for a test: a scratch directory holding the treefile, its `.repo`
/// files, the target repository and the cache. Everything goes when the testbed does, or at
/// the latest when the test process exits. Read-only once set up, so tests may share one.
final class ComposeTestbed: @unchecked Sendable {
    let scratch: TemporaryDirectory
    var directory: String { scratch.path }
    var repository: String { directory + "/repo" }
    var cacheDirectory: String { directory + "/cache" }
    var treefilePath: String { directory + "/treefile.yaml" }

    /// A testbed whose `fixtures` repository is `packages` (the shared fixture build by default)
    /// and whose base is the busybox fixture root.
    init(packages: FixtureRepository? = nil) throws {
        Console.showsProgress = false
        scratch = try TemporaryDirectory(prefix: "compose-test-", in: ProcessScratchDirectory.path())
        _ = try (packages ?? FixtureRepository.shared()).writeRepoFile(named: "fixtures", in: directory)
        try FileManager.default.copyItem(atPath: try FixtureBase.shared(), toPath: directory + "/base.tar.gz")
    }

    /// Writes the treefile; `body` is YAML appended after a default `ref`, `base` and `repos`.
    func writeTreefile(packages: [String], extra: String = "", ref: String = "fixture/test") throws {
        let yaml = """
            ref: \(ref)
            base: base.tar.gz
            repos: [fixtures]
            packages: [\(packages.joined(separator: ", "))]
            \(extra)
            """
        try yaml.write(toFile: treefilePath, atomically: true, encoding: .utf8)
    }

    /// Runs the compose of the testbed's treefile.
    func compose(forceNoCache: Bool = false, signer: GPGSigner? = nil) throws -> ComposeResult {
        var options = ComposeOptions(repository: repository, cacheDirectory: cacheDirectory)
        options.forceNoCache = forceNoCache
        options.signer = signer
        return try Composer(options: options).compose(treefilePath: treefilePath)
    }

    /// The refs of the target repository (empty when it does not exist yet).
    func refs() throws -> [String: String] {
        guard FileManager.default.fileExists(atPath: repository + "/config") else { return [:] }
        return try OSTreeRepository.open(at: repository).refs()
    }

    /// Checks a commit of the target repository out (as files owned as recorded) and returns
    /// the directory.
    func checkout(_ commit: String) throws -> String {
        let destination = directory + "/checkout-" + commit.prefix(12)
        if !FileManager.default.fileExists(atPath: destination) {
            try OSTreeRepository.open(at: repository).checkout(commit, to: destination)
        }
        return destination
    }

    /// `rpm -qa` on a checked-out tree's database, as NEVRAs sorted.
    func installedPackages(in tree: String) throws -> [String] {
        let dbCopy = directory + "/rpmdb-" + UUID().uuidString
        try Program.check(["cp", "-a", tree + "/usr/share/rpm", dbCopy])
        let result = try Program.check(["rpm", "-qa", "--dbpath", dbCopy, "--qf", "%{NEVRA}\n"])
        return result.stdout.split(separator: "\n").map(String.init).sorted()
    }

    /// `ostree fsck` of the target repository: it must stay valid whatever failed.
    func repositoryIsValid() throws -> Bool {
        try Program.run(["ostree", "fsck", "--repo=" + repository]).succeeded
    }

    /// `ostree fsck` of the package cache: no object in it may have been written through.
    func packageCacheIsValid() throws -> Bool {
        try Program.run(["ostree", "fsck", "--repo=" + cacheDirectory + "/pkgcache-repo"]).succeeded
    }
}

/// The text of a thrown error, for asserting on messages.
func errorText(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch {
        return "\(error)"
    }
}
