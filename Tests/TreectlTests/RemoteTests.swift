import Foundation
import TestSupport
import Testing
import ToolSupport

/// Remotes that are not local files: the update server's OSTree repository and the fixture
/// rpm-md repository served over HTTP on the loopback interface.
@Suite struct RemoteTests {
    @Test func upgradeAndInstallOverHTTP() throws {
        let sysroot = try ClientSysroot(commit: UpdateServer.shared().version1)
        let server = try LoopbackHTTPServer(directory: (sysroot.server.repository as NSString).deletingLastPathComponent)
        let packages = try LoopbackHTTPServer(directory: sysroot.server.packages.directory)
        try Program.check(["ostree", "--repo=" + sysroot.repository, "remote", "delete", "harness"])
        try Program.check(["ostree", "--repo=" + sysroot.repository, "remote", "add", "--no-gpg-verify", "harness",
                           server.url + "/repo"])
        try """
            [fixtures]
            name=fixtures over http
            baseurl=\(packages.url)/
            enabled=1
            gpgcheck=0

            """.write(toFile: try sysroot.deploymentDirectory(0) + "/etc/yum.repos.d/fixtures.repo", atomically: true, encoding: .utf8)
        try sysroot.succeed("upgrade")
        #expect(try sysroot.deployments().first?["checksum"] as? String == sysroot.server.version2)
        try sysroot.succeed("install", "fixture-app")
        #expect(try sysroot.packages().contains("fixture-app-2.0-1.noarch"))
        #expect(try sysroot.file("/usr/share/fixture/app-version") == "2.0\n")
    }

    @Test func anUpgradeFromAPublishedDirectoryGoesThroughTheStaticDeltaAndSaysSo() throws {
        let sysroot = try ClientSysroot(commit: UpdateServer.shared().version1)
        let www = sysroot.scratch.path + "/www"
        try Program.check([HarnessExecutable.path, "publish", "--repo", sysroot.server.repository, "--to", www + "/repo",
                           "--delta-from", sysroot.server.version1, "test/os"])
        let server = try LoopbackHTTPServer(directory: www)
        try Program.check(["ostree", "--repo=" + sysroot.repository, "remote", "delete", "harness"])
        try Program.check(["ostree", "--repo=" + sysroot.repository, "remote", "add", "--no-gpg-verify", "harness",
                           server.url + "/repo"])
        let upgrade = try sysroot.succeed("upgrade")
        #expect(upgrade.stdout.contains("(static delta, 1 part)"), "\(upgrade.stdout)")
        #expect(try sysroot.deployments().first?["checksum"] as? String == sysroot.server.version2)
        // Nothing newer: the commit alone is fetched again, no delta.
        let again = try sysroot.succeed("upgrade")
        #expect(again.stdout.contains("no static delta"), "\(again.stdout)")
        #expect(again.stdout.contains("No upgrade available."))
    }

    @Test func aSignedCommitFromAVerifyingRemoteIsDeployed() throws {
        let sysroot = try ClientSysroot(commit: UpdateServer.shared().version1)
        // A signed copy of the server: the shared one stays unsigned for the refusal test.
        let keys = sysroot.scratch.path + "/gnupg", signed = sysroot.scratch.path + "/signed-repo"
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
        chmod(keys, 0o700)
        defer { _ = try? Program.run(["gpgconf", "--homedir", keys, "--kill", "all"]) }
        try Program.check(["cp", "-a", sysroot.server.repository, signed])
        let gpg = ["gpg", "--homedir", keys, "--batch", "--pinentry-mode", "loopback", "--passphrase", ""]
        try Program.check(gpg + ["--quick-gen-key", "treectl test <test@example.invalid>", "rsa2048", "sign", "never"])
        let fingerprint = try Program.check(gpg + ["--list-keys", "--with-colons"]).stdout
            .split(whereSeparator: \.isNewline).first { $0.hasPrefix("fpr:") }
            .map { String($0.split(separator: ":", omittingEmptySubsequences: false)[9]) } ?? ""
        try Program.check(["ostree", "gpg-sign", "--repo=" + signed, "--gpg-homedir=" + keys, sysroot.server.version2, fingerprint])
        try Program.check(gpg + ["--armor", "--output", keys + "/key.asc", "--export", fingerprint])
        try Program.check(["ostree", "--repo=" + sysroot.repository, "remote", "add", "--set=gpg-verify=true",
                           "--gpg-import=" + keys + "/key.asc", "signed", "file://" + signed])
        try sysroot.succeed("rebase", "signed:test/os")
        let deployment = try #require(try sysroot.deployments().first)
        #expect(deployment["checksum"] as? String == sysroot.server.version2)
        #expect(deployment["origin"] as? String == "signed:test/os")
    }
}

