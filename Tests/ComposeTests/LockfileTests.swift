import Compose
import Foundation
import TestSupport
import Testing
import ToolSupport

/// rpm-ostree's lockfiles: written from a compose, then holding a later compose to exactly
/// those packages after the repository moved on, or failing with the package named.
@Suite struct LockfileTests {
    /// A testbed whose repository has fixture-app 1.0 and fixture-lib; the directory the
    /// repository is in, to add packages to.
    private func testbed() throws -> (ComposeTestbed, FixtureRepository, TemporaryDirectory) {
        let packages = try TemporaryDirectory(prefix: "fixtures-", in: ProcessScratchDirectory.path())
        let repository = try FixtureRepository.build(specs: ["fixture-app-1.0", "fixture-lib"], into: packages.path)
        let testbed = try ComposeTestbed(packages: repository)
        try testbed.writeTreefile(packages: ["fixture-app"])
        return (testbed, repository, packages)
    }

    private func compose(_ testbed: ComposeTestbed, lockfile: [String] = [], strict: Bool = false,
                         writeTo: String? = nil, dryRun: Bool = false) throws -> ComposeResult {
        var options = ComposeOptions(repository: testbed.repository, cacheDirectory: testbed.cacheDirectory)
        if !lockfile.isEmpty { options.lockfile = try Lockfile.read(lockfile) }
        options.lockfileStrict = strict
        options.writeLockfileTo = writeTo
        options.dryRun = dryRun
        return try Composer(options: options).compose(treefilePath: testbed.treefilePath)
    }

    private func lockfileJSON(_ path: String) throws -> [String: [String: String]] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        return object?["packages"] as? [String: [String: String]] ?? [:]
    }

    @Test func aWrittenLockfileHoldsTheNextComposeToItsPackages() throws {
        let (testbed, repository, packages) = try testbed()
        defer { packages.remove() }
        let lock = testbed.directory + "/versions.lock"
        let first = try compose(testbed, writeTo: lock)
        let written = try lockfileJSON(lock)
        #expect(written["fixture-app"]?["evra"] == "1.0-1.noarch")
        #expect(written["fixture-app"]?["digest"] == "sha256:" + (try Digest.sha256(file: repository.rpmPath("fixture-app-1.0-1.noarch"))))
        #expect(Set(written.keys) == ["fixture-app", "fixture-lib"])

        // The repository moves on: without the lockfile 2.0 comes in, with it 1.0 stays.
        _ = try FixtureRepository.build(specs: ["fixture-app-2.0"], into: packages.path)
        #expect(try compose(testbed, dryRun: true).packages.contains("fixture-app-2.0-1.noarch"))
        let locked = try compose(testbed, lockfile: [lock])
        #expect(locked.packages == first.packages)
        #expect(locked.commit == first.commit, "the same packages: nothing to commit")

        // A later lockfile overrides an earlier one, and a package it does not name is free.
        let override = testbed.directory + "/override.lock"
        try #"{"packages": {"fixture-app": {"evr": "2.0-1"}}}"#.write(toFile: override, atomically: true, encoding: .utf8)
        #expect(try compose(testbed, lockfile: [lock, override], dryRun: true).packages.contains("fixture-app-2.0-1.noarch"))
    }

    @Test func aMissingOrChangedPackageFailsTheComposeNamingIt() throws {
        let (testbed, repository, packages) = try testbed()
        defer { packages.remove() }
        let lock = testbed.directory + "/versions.lock"
        _ = try compose(testbed, writeTo: lock, dryRun: true)
        let refsBefore = try testbed.refs()

        let missing = testbed.directory + "/missing.lock"
        try #"{"packages": {"fixture-app": {"evra": "9.9-1.noarch", "digest": "sha256:00"}}}"#
            .write(toFile: missing, atomically: true, encoding: .utf8)
        let missingError = #expect(throws: ComposeError.self) { try compose(testbed, lockfile: [missing]) }
        #expect(missingError?.message == "\(missing): fixture-app 9.9-1.noarch: no enabled repository has the locked version")

        // The same NEVRA rebuilt: another file, another digest.
        sleep(1)
        _ = try FixtureRepository.build(specs: ["fixture-app-1.0"], into: packages.path)
        let digest = "sha256:" + (try Digest.sha256(file: repository.rpmPath("fixture-app-1.0-1.noarch")))
        let changedError = #expect(throws: ComposeError.self) { try compose(testbed, lockfile: [lock]) }
        #expect(changedError?.message.hasPrefix("\(lock): fixture-app: the repositories' fixture-app-1.0-1.noarch has digest \(digest)") == true,
                "\(String(describing: changedError))")
        #expect(changedError?.message.hasSuffix("the package changed") == true)

        let partial = testbed.directory + "/partial.lock"
        try #"{"packages": {"fixture-app": {"evra": "1.0-1.noarch"}}}"#.write(toFile: partial, atomically: true, encoding: .utf8)
        let strictError = #expect(throws: ComposeError.self) { try compose(testbed, lockfile: [partial], strict: true) }
        #expect(strictError?.message.contains("fixture-lib-1.0-1.noarch is in no lockfile") == true, "\(String(describing: strictError))")
        #expect(try testbed.refs() == refsBefore, "no failed compose moved a ref")
    }

    @Test(arguments: [
        (#"{"packages": {}, "extra": 1}"#, "unknown key 'extra'"),
        (#"{"metadata": {}}"#, "neither 'packages' nor 'source-packages' found"),
        (#"{"packages": {"a": {"evra": "noarch"}}}"#, "packages.a.evra: 'noarch' is not EVR.ARCH"),
        (#"{"packages": {"a": {"digest": "sha256:00"}}}"#, "packages.a: needs 'evra' or 'evr'"),
        (#"{"packages": {"a": {"evr": "1-1", "pin": true}}}"#, "packages.a: unknown key 'pin'"),
        ("not json", "not a readable JSON lockfile"),
    ])
    func malformedLockfilesAreNamed(text: String, message: String) throws {
        let scratch = try TemporaryDirectory(prefix: "lockfile-", in: ProcessScratchDirectory.path())
        defer { scratch.remove() }
        let path = scratch.path + "/bad.lock"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: ComposeError.self) { try Lockfile.read([path]) }
        #expect(error?.message.hasPrefix(path + ": ") == true && error?.message.contains(message) == true, "\(String(describing: error))")
    }

    @Test func theCommandLineTakesAndWritesLockfiles() throws {
        let (testbed, _, packages) = try testbed()
        defer { packages.remove() }
        let lock = testbed.directory + "/cli.lock"
        let arguments = [HarnessExecutable.path, "compose", "tree", "--quiet", "--repo", testbed.repository,
                         "--cachedir", testbed.cacheDirectory]
        let written = try Program.run(arguments + ["--ex-write-lockfile-to", lock, testbed.treefilePath])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(try lockfileJSON(lock)["fixture-lib"]?["evra"] == "1.0-1.noarch")
        let strict = try Program.run(arguments + ["--ex-lockfile", lock, "--ex-lockfile-strict", "--dry-run", testbed.treefilePath])
        #expect(strict.status == 0 && strict.stdout.contains("fixture-app-1.0-1.noarch"), "\(strict.stderr)")
        let alone = try Program.run(arguments + ["--ex-lockfile-strict", testbed.treefilePath])
        #expect(alone.status != 0 && alone.stderr.contains("--ex-lockfile-strict needs --ex-lockfile"))
    }
}
