import Compose
import Foundation
import OSTree
import TestSupport
import Testing
import ToolSupport
import TreeAssembly

/// Bad input: a clear message naming the file, key or package, no ref moved, the repository
/// still valid.
@Suite struct ComposeErrorTests {
    /// Composes a good tree first, then the bad input; returns the error text after checking
    /// that the ref did not move and the repository is intact.
    func failure(packages: [String], extra: String = "",
                 prepare: (ComposeTestbed) throws -> Void = { _ in }) throws -> String {
        let testbed = try ComposeTestbed()
        try testbed.writeTreefile(packages: ["fixture-lib"])
        _ = try testbed.compose()
        let refsBefore = try testbed.refs()
        try testbed.writeTreefile(packages: packages, extra: extra)
        try prepare(testbed)
        let message = errorText { _ = try testbed.compose() }
        #expect(try testbed.refs() == refsBefore, "a failed compose moves no ref")
        #expect(try testbed.repositoryIsValid())
        return try #require(message, "the compose should have failed")
    }

    @Test func unknownKeyIsNamedWithItsTreefile() throws {
        let message = try failure(packages: ["fixture-lib"], extra: "pakages: [oops]\n")
        #expect(message.contains("treefile.yaml"))
        #expect(message.contains("pakages"))
    }

    @Test func missingPackageIsNamed() throws {
        let message = try failure(packages: ["fixture-nonexistent"])
        #expect(message.contains("no package provides 'fixture-nonexistent'"))
    }

    @Test func unresolvableDependencyNamesWhatIsMissing() throws {
        let message = try failure(packages: ["fixture-unresolvable"])
        #expect(message.contains("fixture-nobody-provides-this"))
        #expect(message.contains("fixture-unresolvable"))
    }

    @Test func failingScriptletNamesPackageScriptletAndOutput() throws {
        let message = try failure(packages: ["fixture-broken-post"])
        #expect(message.contains("fixture-broken-post-1.0-1.noarch: %post scriptlet failed with exit status 3"))
        #expect(message.contains("fixture post failing on purpose"))
    }

    @Test func fileConflictBetweenPackagesNamesThePackage() throws {
        let message = try failure(packages: ["fixture-lib", "fixture-conflicting"])
        #expect(message.contains("file conflict"))
        #expect(message.contains("fixture-conflicting-1.0-1.noarch") || message.contains("fixture-lib-1.0-1.noarch"))
    }

    @Test func unreachableRepositoryNamesTheRepoFileAndURL() throws {
        let message = try failure(packages: ["fixture-lib"]) { testbed in
            let definition = "[fixtures]\nname=gone\nbaseurl=http://127.0.0.1:9/nothing-here\ngpgcheck=0\n"
            try definition.write(toFile: testbed.directory + "/fixtures.repo", atomically: true, encoding: .utf8)
        }
        #expect(message.contains("fixtures.repo"))
        #expect(message.contains("127.0.0.1:9"))
    }

    @Test func aBadMetadataExpireIsNamed() throws {
        let message = try failure(packages: ["fixture-lib"]) { testbed in
            let definition = "[fixtures]\nbaseurl=http://127.0.0.1:9/\nmetadata_expire=soon\n"
            try definition.write(toFile: testbed.directory + "/fixtures.repo", atomically: true, encoding: .utf8)
        }
        #expect(message.contains("fixtures.repo: repository 'fixtures': metadata_expire 'soon' is not a duration"), "\(message)")
    }

    @Test func missingRepositoryIdIsNamed() throws {
        let message = try failure(packages: ["fixture-lib"], extra: "repos: [nowhere]\n") { testbed in
            // `repos` given twice would be a YAML error; rewrite the treefile with the bad id.
            let yaml = "ref: fixture/test\nbase: base.tar.gz\nrepos: [nowhere]\npackages: [fixture-lib]\n"
            try yaml.write(toFile: testbed.treefilePath, atomically: true, encoding: .utf8)
        }
        #expect(message.contains("no repository 'nowhere'"))
    }

    @Test func corruptPackageIsRefusedByItsDigest() throws {
        let packages = try TemporaryDirectory(prefix: "fixtures-", in: ProcessScratchDirectory.path())
        defer { packages.remove() }
        let repository = try FixtureRepository.build(specs: ["fixture-lib"], into: packages.path)
        // Flip bytes near the end of the payload, then regenerate the metadata so that the
        // download checksum matches: only the package's own digests can catch it.
        let path = repository.rpmPath("fixture-lib-1.0-1.noarch")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        for index in (bytes.count - 40)..<(bytes.count - 30) { bytes[index] ^= 0xFF }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        try Program.check(["createrepo_c", "--quiet", packages.path])
        let testbed = try ComposeTestbed(packages: repository)
        try testbed.writeTreefile(packages: ["fixture-lib"])
        let message = try #require(errorText { _ = try testbed.compose() })
        #expect(message.contains("fixture-lib-1.0-1.noarch"))
        #expect(message.contains("damaged RPM package"))
        #expect(try testbed.refs().isEmpty)
    }

    @Test func aLocalPackageThatIsNotTheOneItsMetadataDescribesIsRefused() throws {
        let packages = try TemporaryDirectory(prefix: "fixtures-", in: ProcessScratchDirectory.path())
        defer { packages.remove() }
        let repository = try FixtureRepository.build(specs: ["fixture-lib"], into: packages.path)
        // A local repository's packages are read in place: a file changed after createrepo ran
        // (here one byte of its lead's name field) must not be imported.
        let path = repository.rpmPath("fixture-lib-1.0-1.noarch")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[20] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let testbed = try ComposeTestbed(packages: repository)
        try testbed.writeTreefile(packages: ["fixture-lib"])
        let message = try #require(errorText { _ = try testbed.compose() })
        #expect(message.contains(path))
        #expect(message.contains("but its repository's metadata says"))
        #expect(try testbed.refs().isEmpty)
    }

    @Test func aLocalRepositorysPackagesAreReadInPlaceAndLeftThere() throws {
        let packages = try TemporaryDirectory(prefix: "fixtures-", in: ProcessScratchDirectory.path())
        defer { packages.remove() }
        let repository = try FixtureRepository.build(specs: ["fixture-lib"], into: packages.path)
        let path = repository.rpmPath("fixture-lib-1.0-1.noarch")
        let before = try Digest.sha256(file: path)
        let testbed = try ComposeTestbed(packages: repository)
        try testbed.writeTreefile(packages: ["fixture-lib"])
        _ = try testbed.compose()
        #expect(try testbed.refs().count == 1)
        #expect(!FileManager.default.fileExists(atPath: testbed.cacheDirectory + "/packages"),
                "a file:// repository that checks no signatures is not downloaded into the cache")
        #expect(try Digest.sha256(file: path) == before)
    }

    @Test(arguments: ["../../etc/evil", "/etc/evil", "./usr/../../evil"])
    func hostilePayloadPathsAreRefused(hostileName: String) throws {
        let scratch = try TemporaryDirectory(prefix: "hostile-", in: ProcessScratchDirectory.path())
        defer { scratch.remove() }
        let archive = scratch.path + "/payload.cpio"
        try HostileArchives.writeCpio(to: archive, hostileName: hostileName)
        let cache = try PackageCache(path: scratch.path + "/cache")
        let message = try #require(errorText { _ = try cache.importBaseArchive(at: archive) })
        #expect(message.contains("refusing payload entry '\(hostileName)'"))
        #expect(try cache.repository.refs().isEmpty, "nothing was recorded for the refused archive")
    }
}
