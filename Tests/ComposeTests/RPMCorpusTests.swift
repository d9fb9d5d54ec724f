import Compose
import Foundation
import OSTree
import RPM
import TestSupport
import Testing
import ToolSupport
import TreeAssembly

/// rpm's own test packages (../shared/rpm-corpus): each one composes correctly or is refused
/// with a clear error, as the corpus README describes.
@Suite(.enabled(if: RPMCorpus.directory != nil, "../shared/rpm-corpus is absent (a clone without the shared corpora)"))
struct RPMCorpusTests {
    enum Outcome: Sendable, CustomStringConvertible {
        case imports
        case refused(String)
        var description: String {
            switch self {
            case .imports: "imports"
            case .refused(let text): "refused: \(text)"
            }
        }
    }

    static let importOutcomes: [(String, Outcome)] = [
        ("hello-2.0-1.x86_64.rpm", .imports),
        ("hello-1.0-1.x86_64.rpm-v3", .refused("RPM v3 packages are not supported")),
        ("hello-1.0-1.i386.rpm", .imports),
        ("hello-1.0-1.ppc64.rpm", .imports),
        ("hello-2.0-1.i686.rpm", .imports),
        ("hello-2.0-1.x86_64-corrupted.rpm", .refused("damaged RPM package: payload digest")),
        ("hello-2.0-1.x86_64-signed.rpm", .imports),
        ("hello-2.0-1.x86_64-signed-with-subkey.rpm", .imports),
        ("hello-2.0-1.x86_64-signed-with-new-subkey.rpm", .imports),
        ("hello-2.0-1.x86_64-v3-signed.rpm", .imports),
        ("hello-2.0-1.x86_64-signed-mldsa87.rpm", .imports),
        ("hello-2.0-1.x86_64-badima.rpm", .imports),
        ("hlinktest-1.0-1.noarch.rpm", .imports),
        ("hlinktest-1.0-1.noarch-v3sig.rpm", .imports),
        ("capstest-1.0-1.noarch.rpm", .imports),
        ("imatest-1.0-1.fc34.noarch.rpm", .imports),
        ("luafork-1.0-1.noarch.rpm", .imports),
        ("luafork-1.0-1-deprecated.noarch.rpm", .imports),
        ("mwe-rpm-lua-problem-1.0.0-1.noarch.rpm", .imports),
        ("foo-1.0-1.noarch.rpm", .imports),
        ("obsolete-foo-1.0-1.noarch.rpm", .imports),
    ]

    @Test func everyCorpusPackageHasAnExpectedOutcome() throws {
        let directory = try #require(RPMCorpus.directory)
        let packages = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.contains(".rpm") }.sorted()
        #expect(packages == Self.importOutcomes.map(\.0).sorted())
    }

    @Test(arguments: importOutcomes)
    func importIntoThePackageCache(file: String, outcome: Outcome) throws {
        let scratch = try TemporaryDirectory(prefix: "corpus-", in: ProcessScratchDirectory.path())
        defer { scratch.remove() }
        let cache = try PackageCache(path: scratch.path + "/cache")
        let path = try #require(RPMCorpus.directory) + "/" + file
        switch outcome {
        case .imports:
            let package = try cache.importPackage(at: path)
            #expect(try cache.repository.resolve(PackageCache.ref(name: package.header.name, evr: package.header.evr,
                                                                  arch: package.header.arch)) == package.commit)
        case .refused(let text):
            let message = try #require(errorText { _ = try cache.importPackage(at: path) })
            #expect(message.contains(text))
            #expect(message.contains(file), "the error names the package file")
            #expect(try cache.repository.refs().isEmpty)
        }
    }

    @Test func helloComposesOnABaseThatProvidesLibc() throws {
        let testbed = try RPMCorpus.testbed(packages: ["hello-2.0-1.x86_64.rpm"], base: .withLibc)
        try testbed.writeTreefile(packages: ["hello"])
        let result = try testbed.compose()
        #expect(result.packages == ["hello-2.0-1.x86_64"])
        let tree = try testbed.checkout(result.commit)
        let attributes = try FileManager.default.attributesOfItem(atPath: tree + "/usr/bin/hello")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o751)
        #expect(FileManager.default.fileExists(atPath: tree + "/usr/share/doc/hello-2.0/FAQ"))
        #expect(try testbed.installedPackages(in: tree).contains("hello-2.0-1.x86_64"))
    }

    @Test func helloIsUnresolvableWithoutLibc() throws {
        let testbed = try RPMCorpus.testbed(packages: ["hello-2.0-1.x86_64.rpm"], base: .busybox)
        try testbed.writeTreefile(packages: ["hello"])
        let message = try #require(errorText { _ = try testbed.compose() })
        #expect(message.contains("nothing provides libc.so.6(GLIBC_2.2.5)(64bit) needed by hello-2.0-1.x86_64"))
    }

    @Test func packagesOfAnotherArchitectureAreNotCandidates() throws {
        let testbed = try RPMCorpus.testbed(packages: ["hello-1.0-1.ppc64.rpm"], base: .withLibc)
        try testbed.writeTreefile(packages: ["hello"])
        let message = try #require(errorText { _ = try testbed.compose() })
        #expect(message.contains("hello-1.0-1.ppc64 does not have a compatible architecture"))
    }

    /// The plain package carries a newc cpio payload, the -v3sig one rpm's stripped format; in
    /// both the data of a hard-link set travels with one member only.
    @Test(arguments: ["hlinktest-1.0-1.noarch.rpm", "hlinktest-1.0-1.noarch-v3sig.rpm"])
    func hardLinksInThePayloadKeepTheirDataAndTheirLinks(file: String) throws {
        let testbed = try RPMCorpus.testbed(packages: [file], base: .busybox)
        try testbed.writeTreefile(packages: ["hlinktest"])
        let commit = try testbed.compose().commit
        // In OSTree, hard links are files with one content object: `ls -C` shows its checksum.
        let listing = try Program.check(["ostree", "--repo=" + testbed.repository, "ls", "-C", commit, "/foo"]).stdout
        var objects: [String: (size: UInt64, checksum: String)] = [:]
        for line in listing.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if fields.count >= 6, let size = UInt64(fields[3]) { objects[fields[5]] = (size, fields[4]) }
        }
        let header = try RPMPackageFile(path: try #require(RPMCorpus.directory) + "/" + file).header
        let regular = header.files.filter { FileMode.type($0.mode) == FileMode.regular }
        #expect(regular.count == 7)
        for file in regular {
            let object = try #require(objects[file.path], "\(file.path) is in the commit")
            #expect(object.size == file.size && file.size > 0, "\(file.path) has its data")
            for other in regular where other.inode == file.inode {
                #expect(objects[other.path]?.checksum == object.checksum, "\(file.path) and \(other.path) are one file")
            }
        }
        #expect(Set(regular.map(\.inode)).count < regular.count, "the package has at least one hard-link set")
    }

    @Test func emptyCapabilitiesGrantNothing() throws {
        let testbed = try RPMCorpus.testbed(packages: ["capstest-1.0-1.noarch.rpm"], base: .busybox)
        try testbed.writeTreefile(packages: ["capstest"])
        let commit = try testbed.compose().commit
        // `ostree ls -X` prints each file's extended attributes: none may be a capability.
        let listing = try Program.check(["ostree", "--repo=" + testbed.repository, "ls", "-X", commit, "/a"]).stdout
        #expect(listing.contains("/a/emptyCaps1"))
        #expect(!listing.contains("security.capability"))
    }

    /// Lua scriptlets run with rpm's own Lua in the sandbox: each Lua package of the corpus
    /// composes exactly when `rpm -i` installs it into the same base (luafork's `%pre` forks).
    @Test(arguments: ["luafork-1.0-1.noarch.rpm", "luafork-1.0-1-deprecated.noarch.rpm", "mwe-rpm-lua-problem-1.0.0-1.noarch.rpm"])
    func luaScriptletsRunAsRpmRunsThem(file: String) throws {
        let testbed = try RPMCorpus.testbed(packages: [file], base: .busybox)
        let name = file.hasPrefix("luafork") ? "luafork" : "mwe-rpm-lua-problem"
        try testbed.writeTreefile(packages: [name])
        let composed = Result { try testbed.compose() }

        let root = testbed.directory + "/rpm-root"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try Program.check(["tar", "-xzf", testbed.directory + "/base.tar.gz", "-C", root])
        let installed = try Program.run(["rpm", "--root", root, "--dbpath", "/usr/share/rpm", "-i", "--nodeps", "--ignorearch",
                                         "--nosignature", try #require(RPMCorpus.directory) + "/" + file])
        #expect(installed.succeeded, "rpm installs it: \(installed.stderr)")
        switch composed {
        case .success(let result): #expect(result.packages.contains { $0.hasPrefix(name + "-1.0") })
        case .failure(let error): Issue.record("rpm installs \(file), the compose failed: \(error)")
        }
    }

    /// Both files are `foo-1.0-1.noarch` with no files; one also declares an Obsoletes.
    @Test(arguments: ["foo-1.0-1.noarch.rpm", "obsolete-foo-1.0-1.noarch.rpm"])
    func emptyPackagesComposeIntoTheDatabaseOnly(file: String) throws {
        let testbed = try RPMCorpus.testbed(packages: [file], base: .busybox)
        try testbed.writeTreefile(packages: ["foo"])
        let result = try testbed.compose()
        #expect(result.packages == ["foo-1.0-1.noarch"])
        let tree = try testbed.checkout(result.commit)
        #expect(try testbed.installedPackages(in: tree).contains("foo-1.0-1.noarch"))
    }
}

/// The corpus's signed and unsigned packages against its test key: librpm's verdict through
/// `PackageSignature` is the one `rpmkeys -K` gives with signatures required.
@Suite(.enabled(if: RPMCorpus.directory != nil, "../shared/rpm-corpus is absent (a clone without the shared corpora)"))
struct RPMCorpusSignatureTests {
    static let packages = [
        "hello-2.0-1.x86_64.rpm", "hello-2.0-1.x86_64-signed.rpm", "hello-2.0-1.x86_64-signed-with-subkey.rpm",
        "hello-2.0-1.x86_64-signed-with-new-subkey.rpm", "hello-2.0-1.x86_64-v3-signed.rpm",
        "hello-2.0-1.x86_64-signed-mldsa87.rpm", "hello-2.0-1.x86_64-badima.rpm", "hlinktest-1.0-1.noarch-v3sig.rpm",
        "hlinktest-1.0-1.noarch.rpm", "capstest-1.0-1.noarch.rpm",
    ]

    @Test(arguments: packages)
    func verdictIsRpmkeys(file: String) throws {
        let corpus = try #require(RPMCorpus.directory)
        let key = corpus + "/rpm.org-rsa-2048-test.pub"
        let keyring = try RPMKeyring(armoredKeys: [(key, try String(contentsOfFile: key, encoding: .utf8))])
        let check = try PackageSignature.check(corpus + "/" + file, keyring: keyring)

        let database = try TemporaryDirectory(prefix: "harness-rpmkeys-")
        defer { database.remove() }
        try Program.check(["rpmkeys", "--dbpath", database.path, "--import", key])
        let rpmkeys = try Program.run(["rpmkeys", "--dbpath", database.path, "--define", "_pkgverify_level signature",
                                       "--checksig", corpus + "/" + file])
        #expect(check.isValid == rpmkeys.succeeded, "\(file): \(check) against rpmkeys: \(rpmkeys.stdout)")
        if file == "hello-2.0-1.x86_64.rpm" { #expect(check == .unsigned) }
        if file == "hello-2.0-1.x86_64-signed-with-subkey.rpm", case .unknownKey(let id) = check {
            #expect(id.hasSuffix("15217ee0"))
        } else if file == "hello-2.0-1.x86_64-signed-with-subkey.rpm" {
            Issue.record("\(file): \(check), expected a key the keyring lacks")
        }
    }
}

/// Where the corpus is and how tests get a repository of some of its packages.
enum RPMCorpus {
    static var directory: String? {
        guard let shared = TestPaths.sharedDirectory else { return nil }
        let path = shared + "/rpm-corpus"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    enum Base { case busybox, withLibc }

    /// A testbed whose `fixtures` repository holds copies of the named corpus packages.
    static func testbed(packages: [String], base: Base) throws -> ComposeTestbed {
        let repository = try ProcessScratchDirectory.path() + "/corpus-repo-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: repository, withIntermediateDirectories: true)
        for package in packages {
            try FileManager.default.copyItem(atPath: try #require(directory) + "/" + package,
                                             toPath: repository + "/" + package)
        }
        try Program.check(["createrepo_c", "--quiet", repository])
        let testbed = try ComposeTestbed(packages: FixtureRepository(directory: repository))
        if base == .withLibc { try writeLibcBase(to: testbed.directory + "/base.tar.gz") }
        return testbed
    }

    /// The busybox base plus the host's glibc and dynamic loader, in the merged-/usr layout.
    static func writeLibcBase(to path: String) throws {
        let root = try ProcessScratchDirectory.path() + "/libc-root-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try Program.check(["tar", "-xzf", try FixtureBase.shared(), "-C", root])
        for directory in ["usr/lib/x86_64-linux-gnu", "usr/lib64"] {
            try FileManager.default.createDirectory(atPath: root + "/" + directory, withIntermediateDirectories: true)
        }
        try Program.check(["cp", "-L", "/lib/x86_64-linux-gnu/libc.so.6", root + "/usr/lib/x86_64-linux-gnu/"])
        try Program.check(["cp", "-L", "/lib64/ld-linux-x86-64.so.2", root + "/usr/lib64/"])
        try Program.check(["tar", "-czf", path, "--owner=0", "--group=0", "--numeric-owner", "-C", root, "."])
    }
}
