import Compose
import Foundation
import OSTree
import TestSupport
import Testing
import ToolSupport

/// A compose of the fixture packages on the busybox base: what lands in the commit.
@Suite struct ComposeTreeTests {
    /// One compose shared by the assertions below (composing takes well under a second, but
    /// the assertions read one tree).
    static let composed: Result<(ComposeTestbed, ComposeResult, String), any Error> = Result {
        let testbed = try ComposeTestbed()
        try testbed.writeTreefile(packages: ["fixture-app", "fixture-post", "fixture-base-files"],
                                  extra: "automatic-version-prefix: \"7\"\n")
        let result = try testbed.compose()
        return (testbed, result, try testbed.checkout(result.commit))
    }

    @Test func resolvesDependenciesAndVirtualProvidesAndPicksTheNewestVersion() throws {
        let (_, result, tree) = try Self.composed.get()
        #expect(result.packages == ["fixture-app-2.0-1.noarch", "fixture-base-files-1.0-1.noarch",
                                    "fixture-lib-1.0-1.noarch", "fixture-post-1.0-1.noarch"])
        #expect(try String(contentsOfFile: tree + "/usr/share/fixture/app-version", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines) == "2.0")
    }

    @Test func filesKeepModesOwnersAndSymlinks() throws {
        let (_, _, tree) = try Self.composed.get()
        func mode(_ path: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: tree + path)[.posixPermissions] as! NSNumber).intValue
        }
        #expect(try mode("/usr/libexec/fixture/hello") == 0o755)
        #expect(try mode("/usr/share/fixture/mode-0640") == 0o640)
        #expect(try mode("/usr/share/fixture/mode-0600") == 0o600)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: tree + "/usr/bin/fixture-hello")
            == "../libexec/fixture/hello")
        // Owned by a user that only the package's %pre created.
        var st = stat()
        #expect(lstat(tree + "/usr/share/fixture/owned-by-fixtureuser", &st) == 0)
        #expect(st.st_uid == 990 && st.st_gid == 990)
        #expect(lstat(tree + "/usr/share/fixture/base.txt", &st) == 0)
        #expect(st.st_uid == 0 && st.st_gid == 0)
    }

    @Test func scriptletsRanInsideTheTreeAndTheirUsersSurvive() throws {
        let (_, _, tree) = try Self.composed.get()
        #expect(FileManager.default.fileExists(atPath: tree + "/usr/share/fixture/post-ran"))
        #expect(FileManager.default.fileExists(atPath: tree + "/usr/share/fixture/posttrans-ran"))
        let passwd = try String(contentsOfFile: tree + "/usr/etc/passwd", encoding: .utf8)
        #expect(passwd.contains("fixtureuser:x:990:990"))
        let group = try String(contentsOfFile: tree + "/usr/etc/group", encoding: .utf8)
        #expect(group.contains("fixtureuser:x:990:"))
    }

    @Test func rpmdbListsTheBaseAndEveryInstalledPackage() throws {
        let (testbed, result, tree) = try Self.composed.get()
        let installed = try testbed.installedPackages(in: tree)
        #expect(installed == (["fixtureos-base-1-0.harness.x86_64"] + result.packages).sorted())
        // A complete SQLite database alone: no write-ahead log left beside it.
        let files = try FileManager.default.contentsOfDirectory(atPath: tree + "/usr/share/rpm")
        #expect(files.contains("rpmdb.sqlite"))
        #expect(!files.contains { $0.hasSuffix("-wal") || $0.hasSuffix("-shm") })
    }

    @Test func treeHasTheOSTreeLayout() throws {
        let (_, _, tree) = try Self.composed.get()
        let fm = FileManager.default
        #expect(!fm.fileExists(atPath: tree + "/etc"))
        #expect(fm.fileExists(atPath: tree + "/usr/etc/fixture/base.conf"))
        #expect(try fm.contentsOfDirectory(atPath: tree + "/var").isEmpty)
        #expect(try fm.attributesOfItem(atPath: tree + "/usr/etc/machine-id")[.size] as? Int == 0)
        for (link, target) in [("home", "var/home"), ("root", "var/roothome"), ("opt", "var/opt"), ("srv", "var/srv"),
                               ("mnt", "var/mnt"), ("usr/local", "../var/usrlocal"), ("ostree", "sysroot/ostree")] {
            #expect(try fm.destinationOfSymbolicLink(atPath: tree + "/" + link) == target, "\(link)")
        }
        #expect(fm.fileExists(atPath: tree + "/sysroot"))
        let tmpfiles = try String(contentsOfFile: tree + "/usr/lib/tmpfiles.d/harness-var.conf", encoding: .utf8)
        #expect(tmpfiles.contains("d /var/lib 0755 root root - -"))
        #expect(tmpfiles.contains("C /var/lib/fixture-base - - - - /usr/share/factory/var/lib/fixture-base"))
        #expect(!tmpfiles.contains("/var/lib/fixture-base/state.txt"), "the directory is copied whole")
        #expect(tmpfiles.contains("L /var/lib/rpm - - - - ../../usr/share/rpm"))
        #expect(fm.fileExists(atPath: tree + "/usr/share/factory/var/lib/fixture-base/state.txt"))
    }

    @Test func commitCarriesVersionInputHashAndPackageList() throws {
        let (testbed, result, _) = try Self.composed.get()
        let info = try OSTreeRepository.open(at: testbed.repository).commit(result.commit)
        #expect(info.metadata["version"]?.stringValue == "7")
        #expect(result.version == "7")
        #expect(info.metadata["rpmostree.inputhash"]?.stringValue == result.inputhash)
        #expect(result.inputhash.count == 64)
        #expect(info.metadata["harness.packages"]?.stringsValue == result.packages)
        #expect(try testbed.refs()["fixture/test"] == result.commit)
        #expect(try testbed.repositoryIsValid())
    }
}
