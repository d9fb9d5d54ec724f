import Foundation
import TestSupport
import Testing
import ToolSupport

/// The fixtures the compose tests stand on: the RPM repository, the base root archive and the
/// hostile payloads.
@Suite struct FixtureRepositoryTests {
    static let fixtureNEVRAs = [
        "fixture-base-files-1.0-1.noarch", "fixture-lib-1.0-1.noarch",
        "fixture-app-1.0-1.noarch", "fixture-app-2.0-1.noarch",
        "fixture-post-1.0-1.noarch", "fixture-broken-post-1.0-1.noarch",
        "fixture-unresolvable-1.0-1.noarch", "fixture-conflicting-1.0-1.noarch",
    ]

    @Test func packageRootIsTheCheckoutWithTheFixtureSpecs() {
        #expect(FileManager.default.fileExists(atPath: TestPaths.packageRoot + "/Package.swift"))
        #expect(FileManager.default.fileExists(atPath: TestPaths.fixtureSpecsDirectory + "/fixture-lib.spec"))
    }

    @Test func sharedRepositoryHasRepodataAndEveryFixturePackage() throws {
        let repository = try FixtureRepository.shared()
        #expect(FileManager.default.fileExists(atPath: repository.directory + "/repodata/repomd.xml"))
        for nevra in Self.fixtureNEVRAs {
            #expect(FileManager.default.fileExists(atPath: repository.rpmPath(nevra)), "\(nevra)")
        }
    }

    @Test func appRequiresLibByNameAndThroughTheVirtualCapability() throws {
        let repository = try FixtureRepository.shared()
        let requires = try query(["--requires"], repository.rpmPath("fixture-app-2.0-1.noarch"))
        #expect(requires.contains("fixture-lib"))
        #expect(requires.contains("fixture-virtual-capability"))
        let provides = try query(["--provides"], repository.rpmPath("fixture-lib-1.0-1.noarch"))
        #expect(provides.contains("fixture-virtual-capability"))
    }

    @Test func namedSpecsBuildOnlyThosePackages() throws {
        let scratch = try TemporaryDirectory(prefix: "fixture-subset-")
        defer { scratch.remove() }
        let repository = try FixtureRepository.build(specs: ["fixture-lib"], into: scratch.path + "/repo")
        let packages = try FileManager.default.contentsOfDirectory(atPath: repository.directory)
            .filter { $0.hasSuffix(".rpm") }
        #expect(packages == ["fixture-lib-1.0-1.noarch.rpm"])
        #expect(FileManager.default.fileExists(atPath: repository.directory + "/repodata/repomd.xml"))
    }

    @Test func unknownSpecNameIsRefused() throws {
        let scratch = try TemporaryDirectory(prefix: "fixture-subset-")
        defer { scratch.remove() }
        #expect(throws: FixtureError.self) {
            try FixtureRepository.build(specs: ["fixture-does-not-exist"], into: scratch.path)
        }
    }

    @Test func repoFilePointsAtTheRepository() throws {
        let repository = try FixtureRepository.shared()
        let scratch = try TemporaryDirectory(prefix: "fixture-repofile-")
        defer { scratch.remove() }
        let path = try repository.writeRepoFile(named: "fixtures", in: scratch.path)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.contains("[fixtures]"))
        #expect(lines.contains("baseurl=file://\(repository.directory)"))
        #expect(lines.contains("gpgcheck=0"))
    }

    @Test func baseArchiveHasShellInMergedUsrLayoutOwnedByRoot() throws {
        let archive = try FixtureBase.shared()
        let names = try Program.check(["tar", "-tzf", archive]).stdout.split(separator: "\n")
        #expect(names.contains("usr/bin/busybox"))
        #expect(names.contains("usr/bin/sh"))
        #expect(names.contains("etc/os-release"))
        let listing = try Program.check(["tar", "-tvzf", archive]).stdout.split(separator: "\n")
        #expect(listing.contains { $0.hasSuffix(" bin -> usr/bin") })
        #expect(listing.contains { $0.hasSuffix(" usr/bin/sh -> busybox") })
        #expect(listing.allSatisfy { $0.contains(" 0/0 ") })
    }

    @Test(arguments: ["../../etc/evil", "/etc/evil", "./usr/../../evil"])
    func hostileCpioKeepsTheHostileName(_ hostileName: String) throws {
        let scratch = try TemporaryDirectory(prefix: "fixture-hostile-")
        defer { scratch.remove() }
        let path = scratch.path + "/payload.cpio"
        try HostileArchives.writeCpio(to: path, hostileName: hostileName)
        let names = try Program.check(["cpio", "-it", "--quiet", "--absolute-filenames", "-F", path])
            .stdout.split(separator: "\n")
        #expect(names == ["./usr/share/ok", Substring(hostileName)])
    }

    /// `rpm -qp` with a throwaway database (Debian's rpm would otherwise use `~/.rpmdb`).
    private func query(_ options: [String], _ package: String) throws -> [String] {
        let database = try TemporaryDirectory(prefix: "fixture-rpmdb-")
        defer { database.remove() }
        return try Program.check(["rpm", "-qp", "--dbpath", database.path] + options + [package])
            .stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
