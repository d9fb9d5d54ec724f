import Foundation
import TestSupport
import Testing
import ToolSupport

/// Remotes that are not local files: the update server's OSTree repository and the fixture
/// rpm-md repository served over HTTP on the loopback interface.
@Suite struct RemoteTests {
    /// `python3 -m http.server` serving `directory` on a free loopback port, stopped on deinit.
    final class HTTPServer {
        let process = Process()
        let port: Int

        init(directory: String) throws {
            port = Int.random(in: 20000..<60000)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", directory, String(port)]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            for _ in 0..<100 where !(try Program.run(["curl", "-sf", "-o", "/dev/null", url + "/"]).succeeded) {
                Thread.sleep(forTimeInterval: 0.05)
            }
        }

        var url: String { "http://127.0.0.1:\(port)" }

        /// SIGKILL: a child of a test thread inherits its blocked signals, SIGTERM among them.
        deinit {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    @Test func upgradeAndInstallOverHTTP() throws {
        let sysroot = try ClientSysroot(commit: UpdateServer.shared().version1)
        let server = try HTTPServer(directory: (sysroot.server.repository as NSString).deletingLastPathComponent)
        let packages = try HTTPServer(directory: sysroot.server.packages.directory)
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
}
