import Compose
import Foundation
import TestSupport
import Testing
import ToolSupport

/// `install` and `uninstall` on a directory sysroot: packages from the rpm-md repository of
/// the deployment's `/etc/yum.repos.d` and from files, layered into a new deployment whose
/// rpmdb tells the truth, and kept across upgrades.
@Suite struct LayeringTests {
    @Test func installWithADependencyThenUpgradeKeepsTheLayer() throws {
        let sysroot = try ClientSysroot(commit: UpdateServer.shared().version1)
        let before = try sysroot.deploymentIDs()
        let install = try sysroot.succeed("install", "fixture-app")
        #expect(install.stdout.contains("+ fixture-app-2.0-1.noarch"), "the newest version is chosen")
        #expect(install.stdout.contains("+ fixture-lib-1.0-1.noarch"), "its dependency comes along")

        let layered = try sysroot.deployments()
        #expect(layered.count == 2)
        #expect(layered[1]["id"] as? String == before[0], "the previous deployment stays, second")
        #expect(layered[0]["requested-packages"] as? [String] == ["fixture-app"])
        #expect(layered[0]["base-checksum"] as? String == sysroot.server.version1)
        #expect(layered[0]["checksum"] as? String != sysroot.server.version1, "layering makes a commit of its own")
        #expect(try sysroot.packages().contains("fixture-lib-1.0-1.noarch"))
        #expect(try sysroot.file("/usr/share/fixture/app-version") == "2.0\n")
        #expect(try sysroot.file("/usr/share/fixture/app-version", inDeployment: 1) == nil, "the old deployment is untouched")
        #expect(try Program.run(["ostree", "fsck", "--repo=" + sysroot.repository]).succeeded, "the layered commit is sound")

        let upgrade = try sysroot.succeed("upgrade")
        #expect(upgrade.stdout.contains("+ fixture-post-1.0-1.noarch"))
        let upgraded = try sysroot.deployments()
        #expect(upgraded[0]["base-checksum"] as? String == sysroot.server.version2)
        #expect(upgraded[0]["version"] as? String == "1.1")
        #expect(upgraded[0]["requested-packages"] as? [String] == ["fixture-app"])
        let packages = try sysroot.packages()
        for nevra in ["fixture-app-2.0-1.noarch", "fixture-lib-1.0-1.noarch", "fixture-post-1.0-1.noarch",
                      "fixture-base-files-1.0-1.noarch"] {
            #expect(packages.contains(nevra), "\(nevra) after the upgrade")
        }
        #expect(try sysroot.file("/usr/share/fixture/app-version") == "2.0\n")
        #expect(try sysroot.succeed("upgrade").stdout.contains("No upgrade available."))
    }

    @Test func scriptletsOfLayeredPackagesRunInTheNewTree() throws {
        let sysroot = try ClientSysroot(commit: UpdateServer.shared().version1)
        try sysroot.succeed("install", "fixture-post")
        #expect(try sysroot.file("/usr/share/fixture/post-ran") == "post ran\n")
        #expect(try sysroot.file("/usr/share/fixture/posttrans-ran") == "posttrans ran\n")
        #expect(try sysroot.file("/usr/etc/passwd")?.contains("fixtureuser:x:990") == true, "%pre added its user to the defaults")
        let owned = try sysroot.deploymentDirectory(0) + "/usr/share/fixture/owned-by-fixtureuser"
        let attributes = try FileManager.default.attributesOfItem(atPath: owned)
        #expect(attributes[.ownerAccountID] as? Int == 990)
    }

    @Test func aSecondInstallBeforeRebootKeepsTheFirst() throws {
        let sysroot = try ClientSysroot(commit: UpdateServer.shared().version1)
        try sysroot.succeed("install", "fixture-lib")
        try sysroot.succeed("install", "fixture-post")
        let deployments = try sysroot.deployments()
        #expect(deployments[0]["requested-packages"] as? [String] == ["fixture-lib", "fixture-post"])
        #expect(deployments.count == 2, "the intermediate deployment is replaced, the original kept")
    }

    @Test func installFromAPackageFileRecordsItAsLocal() throws {
        let sysroot = try ClientSysroot(commit: UpdateServer.shared().version1)
        let server = try UpdateServer.shared()
        try sysroot.succeed("install", server.packages.rpmPath("fixture-lib-1.0-1.noarch"))
        let deployment = try #require(try sysroot.deployments().first)
        #expect(deployment["requested-local-packages"] as? [String] == ["fixture-lib-1.0-1.noarch"])
        #expect(try sysroot.packages().contains("fixture-lib-1.0-1.noarch"))
        // The file is in the package cache now: an upgrade layers it again without the file.
        try sysroot.succeed("upgrade")
        #expect(try sysroot.packages().contains("fixture-lib-1.0-1.noarch"))
        try sysroot.succeed("uninstall", "fixture-lib")
        #expect(try sysroot.packages().contains("fixture-lib-1.0-1.noarch") == false)
    }

    @Test func uninstallTakesTheLayerOffAgain() throws {
        let sysroot = try ClientSysroot(commit: UpdateServer.shared().version1)
        try sysroot.succeed("install", "fixture-app")
        let uninstall = try sysroot.succeed("uninstall", "fixture-app")
        #expect(uninstall.stdout.contains("- fixture-app-2.0-1.noarch"))
        #expect(uninstall.stdout.contains("- fixture-lib-1.0-1.noarch"), "what only the layer needed goes with it")
        let deployment = try #require(try sysroot.deployments().first)
        #expect(deployment["checksum"] as? String == sysroot.server.version1, "back to the base commit itself")
        #expect(deployment["requested-packages"] as? [String] == [])
        #expect(try sysroot.file("/usr/share/fixture/app-version") == nil)
    }

    @Test func layeringLeavesTheHostsRpmDatabaseAlone() throws {
        let hostDatabase = "/usr/share/rpm"
        let existedBefore = FileManager.default.fileExists(atPath: hostDatabase)
        let sysroot = try ClientSysroot(commit: UpdateServer.shared().version1)
        try sysroot.succeed("install", "fixture-app")
        try sysroot.succeed("db", "diff")
        #expect(existedBefore || !FileManager.default.fileExists(atPath: hostDatabase),
                "librpm must write only into the tree's database")
    }
}

/// Triggers of layered packages: `treectl install` runs them as `rpm -i` and a compose do.
@Suite struct LayeredTriggerTests {
    @Test func layeredPackagesFireTheirTriggersAsRpmDoes() throws {
        let packages = try TemporaryDirectory(prefix: "trigger-packages-", in: ProcessScratchDirectory.path())
        defer { packages.remove() }
        let repository = try FixtureRepository.build(specTexts: TriggerFixtures.specs, into: packages.path)
        let sysroot = try ClientSysroot(commit: UpdateServer.shared().version1)
        try sysroot.succeed("install", repository.rpmPath("trig-target-1.0-1.noarch"), repository.rpmPath("trig-owner-1.0-1.noarch"),
                            repository.rpmPath("trig-late-1.0-1.noarch"))
        #expect(try sysroot.file("/usr/lib/trig.log") == TriggerFixtures.expectedLog)
        #expect(try sysroot.file("/usr/lib/trig.log", inDeployment: 1) == nil, "the booted deployment is untouched")
    }
}

/// Erasing a base package (`override remove`) runs what `rpm -e` runs: its `%preun` and
/// `%postun`, and every erase form of the triggers, in rpm's order.
@Suite struct ErasedBasePackageTests {
    @Test func overrideRemoveErasesAsRpmDoes() throws {
        let work = try TemporaryDirectory(prefix: "trigger-base-", in: ProcessScratchDirectory.path())
        defer { work.remove() }
        let repository = try FixtureRepository.build(specTexts: TriggerFixtures.specs, into: work.path + "/packages")
        _ = try repository.writeRepoFile(named: "trig", in: work.path)
        try FileManager.default.copyItem(atPath: try FixtureBase.shared(), toPath: work.path + "/base.tar.gz")
        try "fixture kernel\n".write(toFile: work.path + "/vmlinuz", atomically: true, encoding: .utf8)
        try """
            ref: test/triggers
            base: base.tar.gz
            repos: [trig]
            packages: [trig-late]
            add-files:
              - [vmlinuz, /usr/lib/modules/6.1.0-fixture/vmlinuz]
            """.write(toFile: work.path + "/triggers.yaml", atomically: true, encoding: .utf8)
        let server = try UpdateServer.shared()
        _ = try Composer(options: ComposeOptions(repository: server.repository, cacheDirectory: work.path + "/cache"))
            .compose(treefilePath: work.path + "/triggers.yaml")

        let sysroot = try ClientSysroot(ref: "test/triggers")
        #expect(try sysroot.file("/usr/lib/trig.log") == TriggerFixtures.expectedLog)
        try sysroot.succeed("override", "remove", "trig-late")
        #expect(try sysroot.file("/usr/lib/trig.log") == TriggerFixtures.expectedLog + TriggerFixtures.eraseLog)
        #expect(try sysroot.file("/usr/share/trig/late.txt") == nil)
        #expect(try sysroot.file("/usr/lib/trig.log", inDeployment: 1) == TriggerFixtures.expectedLog, "the base is untouched")
    }
}
