import Compose
import Foundation
import PackageSources
import TestSupport
import Testing
import ToolSupport

/// `gpgcheck=1` and `repo_gpgcheck=1` with `gpgkey=` in `.repo` files are honoured at
/// compose: packages must be signed by a key of their repository (checked by librpm before
/// import, and again when a cached copy is reused), `repomd.xml` by a detached signature.
@Suite struct SignatureTests {
    /// A repository of three packages: `signed` (by `key`), `unsigned`, `foreign` (by `other`).
    final class SignedRepository {
        let key: TestSigningKey
        let other: TestSigningKey
        let repository: FixtureRepository

        init() throws {
            key = try TestSigningKey(name: "release")
            other = try TestSigningKey(name: "stranger")
            let directory = try ProcessScratchDirectory.path() + "/signed-" + UUID().uuidString
            let packages = ["signed", "unsigned", "foreign"].map {
                TestPackage($0, install: ["mkdir -p %{buildroot}/usr/share/\($0)", "echo \($0) > %{buildroot}/usr/share/\($0)/file"],
                            files: ["/usr/share/\($0)"])
            }
            repository = try TestPackage.repository(packages, in: directory)
            try key.sign(package: repository.rpmPath("signed-1.0-1.noarch"))
            try other.sign(package: repository.rpmPath("foreign-1.0-1.noarch"))
            try Program.check(["createrepo_c", "--quiet", directory])
        }

        /// A compose testbed whose `fixtures` repository is this one, with `options` in its `.repo`.
        func testbed(options: [String]) throws -> ComposeTestbed {
            let testbed = try ComposeTestbed(packages: repository)
            _ = try repository.writeRepoFile(named: "fixtures", in: testbed.directory, options: options)
            return testbed
        }
    }

    func failure(_ testbed: ComposeTestbed, packages: [String]) throws -> PackageSourceError? {
        try testbed.writeTreefile(packages: packages)
        do {
            _ = try testbed.compose()
            return nil
        } catch let error as PackageSourceError {
            #expect(try testbed.refs().isEmpty)
            return error
        }
    }

    @Test func packagesSignedByTheRepositorysKeyCompose() throws {
        let signed = try SignedRepository()
        let testbed = try signed.testbed(options: ["gpgcheck=1", "gpgkey=file://" + signed.key.publicKeyPath])
        try testbed.writeTreefile(packages: ["signed"])
        let tree = try testbed.checkout(testbed.compose().commit)
        #expect(FileManager.default.fileExists(atPath: tree + "/usr/share/signed/file"))
    }

    @Test func unsignedPackageIsRefusedNamingPackageAndRepository() throws {
        let signed = try SignedRepository()
        let testbed = try signed.testbed(options: ["gpgcheck=1", "gpgkey=file://" + signed.key.publicKeyPath])
        let error = try #require(try failure(testbed, packages: ["signed", "unsigned"]))
        #expect(error.kind == .signature)
        #expect(error.description.contains("unsigned-1.0-1.noarch"))
        #expect(error.description.contains("fixtures.repo"))
        #expect(error.description.contains("is not signed"))
    }

    @Test func packageSignedByAnotherKeyIsRefusedNamingTheKey() throws {
        let signed = try SignedRepository()
        let testbed = try signed.testbed(options: ["gpgcheck=1", "gpgkey=file://" + signed.key.publicKeyPath])
        let error = try #require(try failure(testbed, packages: ["foreign"]))
        #expect(error.kind == .signature)
        #expect(error.description.contains("foreign-1.0-1.noarch"))
        let otherID = try #require(try Program.check(["rpm", "-qp", "--qf", "%{RSAHEADER:pgpsig}", signed.repository.rpmPath("foreign-1.0-1.noarch")])
            .stdout.split(separator: " ").last.map { String($0.suffix(16)) })
        #expect(error.description.contains("signed with key \(otherID)"))
    }

    @Test func aPackageCachedFromAnUncheckedRepositoryIsCheckedAgain() throws {
        let signed = try SignedRepository()
        let testbed = try signed.testbed(options: ["gpgcheck=0"])
        try testbed.writeTreefile(packages: ["unsigned"])
        _ = try testbed.compose()
        _ = try signed.repository.writeRepoFile(named: "fixtures", in: testbed.directory,
                                                options: ["gpgcheck=1", "gpgkey=file://" + signed.key.publicKeyPath])
        try testbed.writeTreefile(packages: ["unsigned"], ref: "fixture/checked")
        let message = errorText { _ = try testbed.compose() }
        #expect(message?.contains("unsigned-1.0-1.noarch") == true)
        #expect(message?.contains("is not signed") == true)
    }

    @Test func theKeyCanComeOverHTTP() throws {
        let signed = try SignedRepository()
        let keyServer = try LoopbackHTTPServer(directory: (signed.key.publicKeyPath as NSString).deletingLastPathComponent)
        let options = ["gpgcheck=1", "gpgkey=\(keyServer.url)/public.asc"]
        let testbed = try signed.testbed(options: options)
        try testbed.writeTreefile(packages: ["signed"])
        _ = try testbed.compose()
        #expect(try failure(try signed.testbed(options: options), packages: ["foreign"])?.kind == .signature)
    }

    @Test func repoGPGCheckRequiresASignedRepomd() throws {
        let signed = try SignedRepository()
        let options = ["gpgcheck=0", "repo_gpgcheck=1", "gpgkey=file://" + signed.key.publicKeyPath]
        let unsignedMetadata = try signed.testbed(options: options)
        let error = try #require(try failure(unsignedMetadata, packages: ["unsigned"]))
        #expect(error.description.contains("fixtures.repo"))
        #expect(error.kind == .signature, "\(error)")

        try signed.key.signDetached(signed.repository.directory + "/repodata/repomd.xml")
        let testbed = try signed.testbed(options: options)
        try testbed.writeTreefile(packages: ["unsigned"])
        _ = try testbed.compose()

        try signed.other.signDetached(signed.repository.directory + "/repodata/repomd.xml")
        #expect(try failure(try signed.testbed(options: options), packages: ["unsigned"])?.kind == .signature)
    }

    @Test func gpgcheckWithoutAKeyIsAnErrorNamingTheRepository() throws {
        let signed = try SignedRepository()
        let testbed = try signed.testbed(options: ["gpgcheck=1"])
        let error = try #require(try failure(testbed, packages: ["signed"]))
        #expect(error.description.contains("names no gpgkey"))
        #expect(error.description.contains("'fixtures'"))
    }
}
