import Foundation
import ImageBuild
import Kola
import Machine
import ToolSupport

/// Runs kola-style external tests in a guest as kola does: the executable installed as
/// `/usr/local/bin/kola-runext-NAME`, its `data` directory at `$KOLA_EXT_DATA`, and kola's
/// reboot protocol: the test runs `/tmp/autopkgtest-reboot MARK`, the machine reboots, and
/// the test runs again with `AUTOPKGTEST_REBOOT_MARK=MARK`.
struct ExternalTestRunner {
    let session: GuestSession

    /// The filesystem label of the disk that carries the tests into the guest.
    static let diskLabel = "harness-kola"
    static let mountPoint = "/run/harness/kola"
    /// Where a test's reboot request is left; in /var, so that it outlives the reboot.
    static let markFile = "/var/lib/harness-kola/reboot-mark"
    /// A test may reboot this many times.
    static let rebootLimit = 10

    /// Writes the disk carrying `tests` (each as `NAME/test` plus `NAME/data`).
    static func writeDisk(for tests: [ExternalTest], to path: String) throws {
        let staging = try TemporaryDirectory(prefix: "harness-kola-")
        defer { staging.remove() }
        for test in tests {
            let directory = staging.path + "/" + test.name
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: test.executable, toPath: directory + "/test")
            if let data = test.dataDirectory {
                try Program.check(["cp", "-a", data, directory + "/data"])
            }
        }
        try DataDisk.write(from: staging.path, label: diskLabel, to: path)
    }

    /// Installs `test` in the guest and runs it to the end, through its reboots.
    func run(_ test: ExternalTest, allowReboot: Bool) throws {
        let installed = "/usr/local/bin/kola-runext-" + URL(fileURLWithPath: test.executable).lastPathComponent
        let data = "/var/opt/kola/extdata/" + test.name
        try session.check("""
            set -e
            mkdir -p /usr/local/bin /var/opt/kola/extdata \(URL(fileURLWithPath: Self.markFile).deletingLastPathComponent().path)
            install -m 0755 \(Self.mountPoint)/\(test.name)/test \(installed)
            rm -rf \(data) \(Self.markFile)
            if [ -d \(Self.mountPoint)/\(test.name)/data ]; then cp -a \(Self.mountPoint)/\(test.name)/data \(data); else mkdir -p \(data); fi
            """)
        let timeout = test.metadata.timeout
        var mark: String?
        for _ in 0...Self.rebootLimit {
            try installRebootCommand()
            var environment = ["KOLA_TEST=" + test.name, "KOLA_TEST_EXE=" + URL(fileURLWithPath: test.executable).lastPathComponent,
                               "KOLA_EXT_DATA=" + data, "HOME=/root"]
            if let mark { environment.append("AUTOPKGTEST_REBOOT_MARK=" + mark) }
            switch try runOnce(installed, environment: environment, timeout: timeout) {
            case .exited(let result):
                guard result.exitCode == 0 else {
                    throw ScenarioError("\(test.name) exited with \(result.exitCode): " + GuestSession.tail(result.stderr + result.stdout))
                }
                return
            case .rebootRequested(let requested):
                guard allowReboot else {
                    throw ScenarioError("\(test.name) asked for a reboot, which a test sharing its machine cannot do: add \"exclusive\": true")
                }
                session.log.note("the test asked for a reboot with mark '\(requested)'")
                try session.reboot()
                try session.check("rm -f \(Self.markFile)")
                mark = requested
            }
        }
        throw ScenarioError("\(test.name) asked for more than \(Self.rebootLimit) reboots")
    }

    private enum Outcome {
        case exited(GuestCommandResult)
        case rebootRequested(mark: String)
    }

    /// Runs the test once; it ends by exiting or by asking for a reboot (a mark in
    /// `markFile`, after which `autopkgtest-reboot` waits to be killed by the reboot).
    private func runOnce(_ executable: String, environment: [String], timeout: TimeInterval) throws -> Outcome {
        let channel = try session.running().channel
        let pid = try channel.start(executable, environment: environment)
        let begin = Date()
        var lastMarkCheck = Date.distantPast
        while Date().timeIntervalSince(begin) < timeout {
            if let result = try channel.status(of: pid) {
                session.log.command(executable, result: result)
                return .exited(result)
            }
            if Date().timeIntervalSince(lastMarkCheck) >= 2 {
                lastMarkCheck = Date()
                let mark = try channel.run("cat \(Self.markFile) 2>/dev/null || true").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                if !mark.isEmpty { return .rebootRequested(mark: mark) }
            }
            Thread.sleep(forTimeInterval: 0.5)
        }
        throw ScenarioError("\(executable) did not finish within \(Int(timeout / 60)) min (kola's timeoutMin, or its default)")
    }

    /// `/tmp/autopkgtest-reboot MARK`: leaves the mark and waits for the machine to reboot.
    private func installRebootCommand() throws {
        try session.check("""
            cat > /tmp/autopkgtest-reboot <<'EOF'
            #!/bin/sh
            # kola's reboot protocol: harness reboots the machine and runs the test again with
            # AUTOPKGTEST_REBOOT_MARK set to this mark.
            echo "$1" > \(Self.markFile).new && sync && mv \(Self.markFile).new \(Self.markFile) && sync
            exec sleep infinity
            EOF
            chmod 0755 /tmp/autopkgtest-reboot
            """)
    }
}
