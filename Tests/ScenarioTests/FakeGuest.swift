import Foundation
import Machine
import Results
@testable import Scenarios
import TestSupport
import ToolSupport

/// An OSTree guest simulated in memory, for unit tests of the scenario runner and the
/// scheduler: deployments (index 0 is the default), the booted one, a boot id, the clients
/// installed, and the commit an upgrade would pull. It answers the commands harness sends
/// (`GuestClient`'s, the boot checks, `ostree admin status`, a client's `status --json`,
/// `/proc/cmdline`); any other command succeeds with no output. Every command is recorded.
final class FakeOSTreeGuest: @unchecked Sendable {
    struct Deployment: Equatable {
        var commit: String
        var kargs: [String]
    }

    private let lock = NSLock()
    private(set) var deployments: [Deployment]
    private(set) var booted = 0
    private(set) var bootID = UUID().uuidString
    private(set) var commands: [String] = []
    private(set) var boots = 0
    let clients: [GuestClient]
    /// What the next upgrade deploys; nil: the upgrade finds nothing new.
    var upgradeCommit: String?
    /// A unit that fails at every boot of this commit, and what it logs.
    var failingUnit: (commit: String, unit: String, message: String)?
    /// Commands that exit 1 this many more times before they succeed (a flaky test).
    var failuresLeft: [String: Int] = [:]

    init(commit: String, clients: [GuestClient], upgradeCommit: String?) {
        deployments = [Deployment(commit: commit, kargs: ["root=LABEL=root", "rw"])]
        self.clients = clients
        self.upgradeCommit = upgradeCommit
    }

    var bootedDeployment: Deployment { lock.withLock { deployments[booted] } }

    /// A power-on or reboot: the default deployment boots, with a new boot id.
    func boot() {
        lock.withLock {
            booted = 0
            bootID = UUID().uuidString
            boots += 1
        }
    }

    func answer(_ command: String) -> GuestCommandResult {
        lock.withLock {
            commands.append(command)
            return respond(to: command)
        }
    }

    private func respond(to command: String) -> GuestCommandResult {
        func ok(_ stdout: String = "") -> GuestCommandResult { GuestCommandResult(exitCode: 0, stdout: stdout, stderr: "") }
        if let left = failuresLeft[command], left > 0 {
            failuresLeft[command] = left - 1
            return GuestCommandResult(exitCode: 1, stdout: "", stderr: "failing, \(left - 1) more time(s)")
        }
        switch command {
        case GuestClient.detection:
            guard let client = clients.first else { return GuestCommandResult(exitCode: 1, stdout: "", stderr: "") }
            return ok(client.rawValue + "\n")
        case "timeout 600 systemctl is-system-running --wait":
            return ok(failingUnit?.commit == deployments[booted].commit ? "degraded\n" : "running\n")
        case "systemctl list-units --failed --plain --no-legend --no-pager":
            guard let failingUnit, failingUnit.commit == deployments[booted].commit else { return ok() }
            return ok("\(failingUnit.unit) loaded failed failed A unit\n")
        case let journal where journal.hasPrefix("journalctl -b --no-pager -o cat -n 3 _SYSTEMD_UNIT='\(failingUnit?.unit ?? "")' "):
            return ok((failingUnit?.message ?? "") + "\n")
        case "cat /proc/sys/kernel/random/boot_id": return ok(bootID + "\n")
        case BootProfile.probe: return ok(BootProfileAnswer.debian)
        case "cat /proc/cmdline": return ok(deployments[booted].kargs.joined(separator: " ") + "\n")
        case "ostree admin status":
            return ok(deployments.enumerated().map { index, deployment in
                (index == booted ? "* " : "  ") + "fakeos \(deployment.commit).\(index)\n    origin refspec: harness:fake\n"
            }.joined())
        case "treectl status --json", "rpm-ostree status --json":
            let list = deployments.enumerated().map { index, deployment in
                #"{"booted": \#(index == booted), "checksum": "\#(deployment.commit)"}"#
            }
            return ok(#"{"deployments": [\#(list.joined(separator: ", "))]}"#)
        default:
            break
        }
        for client in clients {
            if command == client.upgrade {
                if let upgradeCommit, upgradeCommit != deployments[0].commit {
                    deployments = [Deployment(commit: upgradeCommit, kargs: deployments[booted].kargs), deployments[booted]]
                    booted = 1
                }
                return ok()
            }
            if command == client.rollback {
                guard deployments.count > 1 else { return GuestCommandResult(exitCode: 1, stdout: "", stderr: "nothing to roll back to") }
                deployments.swapAt(0, 1)
                booted = booted == 0 ? 1 : 0
                return ok()
            }
            if let argument = command.firstMatch(of: /--(?:karg-)?append='([^']*)'/)?.1,
               command == client.kargs(append: [String(argument)]) {
                var deployment = deployments[booted]
                deployment.kargs.append(String(argument))
                deployments = [deployment, deployments[booted]]
                booted = 1
                return ok()
            }
        }
        return ok()
    }
}

/// The fake guest's command channel.
struct FakeChannel: GuestChannel {
    let guest: FakeOSTreeGuest
    var name: String { "Fake channel" }
    func ping() -> Bool { true }
    func run(_ command: String, timeout: TimeInterval) throws -> GuestCommandResult { guest.answer(command) }
    func start(_ command: String, environment: [String]) throws -> Int {
        _ = guest.answer(command)
        return 1
    }
    func status(of process: Int) throws -> GuestCommandResult? { GuestCommandResult(exitCode: 0, stdout: "", stderr: "") }
    func requestReboot() {}
}

/// A machine running the fake guest: reboots and power-ons boot its default deployment.
final class FakeMachine: GuestMachine {
    let guest: FakeOSTreeGuest
    private(set) var disks: [AttachedDisk] = []

    init(guest: FakeOSTreeGuest) {
        self.guest = guest
        guest.boot()
    }

    var name: String { "fake" }
    var channel: any GuestChannel { FakeChannel(guest: guest) }
    var console: String { "" }
    var overlayPath: String { "/nonexistent/overlay.qcow2" }
    /// Set to play a machine restored from a saved first boot in this directory.
    var restoredFrom: String?
    var bootClock: BootClock { BootClock(poweredOn: Date(), restoredFrom: restoredFrom) }
    private(set) var keptFirstBoots = 0
    func keepFirstBoot() throws -> Bool {
        keptFirstBoots += 1
        return false
    }
    func checkConsole() throws {}
    func reboot() throws {
        restoredFrom = nil
        guest.boot()
    }
    func cutPower() {}
    func powerOn() throws {
        restoredFrom = nil
        guest.boot()
    }
    func shutdown(keepingDiskAt keptDisk: String?) {}
    func attachDisk(_ disk: AttachedDisk) throws -> String {
        disks.append(disk)
        return "/dev/vdb"
    }
    func hasDisk(_ path: String) -> Bool { disks.contains { $0.path == path } }
    func reverseForward(guestPort: Int, to hostPort: Int, timeout: TimeInterval) throws -> BackgroundProgram {
        throw MachineError("the fake guest has no network")
    }
}
