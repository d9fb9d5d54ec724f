import Foundation
import ImageBuild
import Machine
import Publish
import Results
import ToolSupport

/// A test's machine and its log: every boot timed and checked (console, failed units),
/// every command in the transcript, and the console and journal of each boot kept as
/// artifacts.
final class GuestSession {
    let environment: RunEnvironment
    /// Where commands and boots are recorded (tests that share the machine take turns).
    var log: TestLog
    let memoryMiB: Int
    /// Disks attached at every boot (the kola test disk, scratch disks).
    var bootDisks: [AttachedDisk] = []
    /// Whether the first boots of the image under test may be restored from its saved first
    /// boot (`SpawnOptions.restore`): the run's `--no-restore` and a test tagged `first-boot`
    /// say no.
    var restoresFirstBoots = true
    /// Whether each boot must end `running`, with no failed unit (kola's base checks, which a
    /// test tagged `skip-base-checks` turns off: the boot is still waited for).
    var checksBaseState = true
    /// Run after every boot, reboot and power-on, once the guest is up (mounting a disk, say).
    var afterBoot: ((GuestSession) throws -> Void)?
    /// Blank disks made for this session, removed by `finish()`.
    private var scratchDisks: [String] = []
    /// The disk the last `install` wrote.
    private var installedDisk: String?
    private(set) var machine: (any GuestMachine)?
    private var bootCount = 0
    /// The client found in the guest (kept across boots: every deployment has the same).
    private var detectedClient: GuestClient?
    /// The test's update server, reached from the guest through `tunnel` (opened again after
    /// every boot).
    private var updateServer: UpdateServer?
    private var tunnel: BackgroundProgram?

    init(environment: RunEnvironment, log: TestLog, memoryMiB: Int) {
        self.environment = environment
        self.log = log
        self.memoryMiB = memoryMiB
    }

    /// The running machine, or an error saying that the test needs one.
    func running() throws -> any GuestMachine {
        guard let machine else { throw ScenarioError("no machine is running: a 'boot' step must come first") }
        return machine
    }

    /// Boots `image` (the image under test by default) on a fresh overlay, stopping the
    /// machine running before; waits for the guest and checks it came up clean. An image whose
    /// first boot is the same every time (the image under test and its variants, not a disk
    /// just installed) is `restorable`: see `restoresFirstBoots`.
    func boot(image: String? = nil, diskSize: UInt64? = nil, restorable: Bool = true) throws {
        stop()
        var options = environment.spawnOptions(image: try image ?? (updateServer == nil ? environment.image.path
                                                                                         : environment.updateServerImage()),
                                               memoryMiB: memoryMiB)
        if updateServer != nil { options.sshIdentity = try SSHKey.ofState(environment.stateDirectory).privateKeyPath }
        options.extraDisks = bootDisks
        options.diskSize = diskSize
        options.consoleFile = lastConsole
        options.restore = restoresFirstBoots && restorable
        do {
            try log.boot(.boot) { machine = try environment.launch(options) }
        } catch {
            keepConsole()
            throw error
        }
        let clock = try running().bootClock
        if let saved = clock.restoredFrom {
            log.markLatestBootRestored()
            log.note("restored from the image's saved first boot (\(saved)); the guest's clock set to the host's")
        }
        if let failure = clock.restoreFailure {
            log.note("the image's saved first boot could not be restored, so the machine booted: \(failure)")
        }
        try cameUp()
    }

    /// Reboots and checks the guest came back clean.
    func reboot() throws {
        let machine = try running()
        collectJournal()
        try log.boot(.reboot) { try machine.reboot() }
        try cameUp()
    }

    /// Starts the test's update server; machines booted from now on run the image that
    /// fetches updates from it (`RunEnvironment.updateServerImage`).
    func startUpdateServer() throws {
        guard updateServer == nil else { return }
        let server = try UpdateServer(directory: environment.scratch.path + "/\(log.name)-www")
        updateServer = server
        log.note("update server: http://127.0.0.1:\(server.port)/ serving \(server.directory)")
    }

    /// Publishes compose `name` on the image's ref to the update server (see `ScenarioStep.publish`).
    func publish(compose name: String, sign: Bool, tamper: Bool) throws {
        guard let updateServer else { throw ScenarioError("no update server: the scenario has no 'publish' step") }
        let result = try updateServer.publish(try environment.commit(ofCompose: name), on: environment.image.ref,
                                              from: environment.image.commit,
                                              stateRepository: environment.stateDirectory + "/repo",
                                              key: try PublishingKey.ofState(environment.stateDirectory), sign: sign,
                                              tamper: tamper, scratch: environment.scratch.path + "/\(log.name)-publish-source")
        log.note("published \(result.refs.map { "\($0.key) \($0.value)" }.joined(separator: ", ")) with \(result.deltas.count) static delta(s)"
                 + (sign ? ", signed" : ", unsigned") + (tamper ? ", then tampered with" : ""))
    }

    /// Runs `command` in the guest, into the transcript.
    func run(_ command: String, timeout: TimeInterval = 600) throws -> GuestCommandResult {
        let result = try running().channel.run(command, timeout: timeout)
        log.command(command, result: result)
        return result
    }

    /// The client `upgrade`, `rollback` and `kargs` use: the run's `--client`, or the first
    /// the guest has.
    func client() throws -> GuestClient {
        if let client = environment.client ?? detectedClient { return client }
        let result = try run(GuestClient.detection)
        guard result.exitCode == 0, let client = GuestClient(rawValue: result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ScenarioError("the guest has no OSTree client: none of treectl, rpm-ostree, ostree in its PATH")
        }
        log.note("the guest's client: \(client.rawValue)")
        detectedClient = client
        return client
    }

    /// Runs `command`, which must succeed; returns its stdout.
    @discardableResult
    func check(_ command: String, timeout: TimeInterval = 600) throws -> String {
        let result = try run(command, timeout: timeout)
        guard result.exitCode == 0 else {
            throw ScenarioError("'\(command)' exited with \(result.exitCode): \(Self.tail(result.stderr + result.stdout))")
        }
        return result.stdout
    }

    func cutPower() throws {
        try running().cutPower()
        log.note("power cut")
    }

    /// Reads the cut disk from the host as its bootloader will (`BootEntryCheck`): the default
    /// boot entry must lead to a deployment on the root filesystem, or the next boot comes up
    /// in neither tree; the failure quotes both views.
    func checkBootEntry() throws {
        let machine = try running()
        let scratch = try TemporaryDirectory(prefix: "harness-boot-check-", in: environment.scratch.path)
        defer { scratch.remove() }
        guard let finding = try BootEntryCheck(disk: machine.overlayPath, scratch: scratch.path).inspect() else {
            log.note("boot entry check skipped: the disk has no ext4 partitions labelled boot and root")
            return
        }
        log.note("read from the host: " + finding.description)
        guard finding.bootsADeployment else { throw ScenarioError("after the power cut, " + finding.description) }
    }

    func powerOn() throws {
        let machine = try running()
        try log.boot(.powerOn) { try machine.powerOn() }
        try cameUp()
    }

    /// Runs the image's live installer onto a blank disk of `diskSize` (the machine running is
    /// stopped first), with a NoCloud seed making user `core` with the public key `seedKey`.
    /// The installer's console is the artifact `installer-console.txt`.
    func install(diskSize: UInt64, seedKey: String?) throws {
        stop()
        let iso = try environment.installerBuild().iso
        let disk = environment.scratch.path + "/\(log.name)-installed.qcow2"
        try? FileManager.default.removeItem(atPath: disk)
        scratchDisks.append(disk)
        var options = InstallationOptions(media: .iso(iso), disk: disk, stateDirectory: environment.stateDirectory)
        options.diskSize = diskSize
        options.connectURI = environment.connectURI
        options.consoleFile = log.directory + "/installer-console.txt"
        if let seedKey {
            let seed = environment.scratch.path + "/\(log.name)-seed.iso"
            try SeedDisk(userData: .sshKey(seedKey, user: "core"), hostname: "harness-installed", output: seed).write()
            scratchDisks.append(seed)
            options.seed = seed
        }
        log.note(try Installation.run(options))
        installedDisk = disk
    }

    /// Boots the disk the last `install` wrote.
    func bootInstalled() throws {
        guard let installedDisk else { throw ScenarioError("no disk was installed: an 'install' step must come first") }
        try boot(image: installedDisk, restorable: false)
    }

    /// A blank qcow2 disk of `bytes`, attached writable at every boot from now on.
    func addScratchDisk(named name: String, bytes: UInt64) throws {
        let path = environment.scratch.path + "/\(log.name)-\(name).qcow2"
        try Program.check(["qemu-img", "create", "-q", "-f", "qcow2", path, String(bytes)])
        scratchDisks.append(path)
        bootDisks.append(AttachedDisk(path: path, format: "qcow2", readOnly: false))
    }

    /// Removes what the session made for itself: scratch disks, the update server.
    func finish() {
        for path in scratchDisks { try? FileManager.default.removeItem(atPath: path) }
        scratchDisks.removeAll()
        tunnel?.stop()
        updateServer?.stop()
        updateServer = nil
    }

    /// Plugs the disk at `path` in (unless the machine has it) and mounts its filesystem labelled
    /// `label` at `mountPoint` (again after every boot).
    func mount(disk path: String, label: String, at mountPoint: String) throws {
        let machine = try running()
        if !machine.hasDisk(path) {
            let device = try machine.attachDisk(.readOnly(path))
            log.note("plugged \(path) in as \(device)")
        }
        // The kernel may take a moment to see a disk plugged in while it runs.
        try check("""
            for i in $(seq 60); do blkid -L \(label) >/dev/null && break; udevadm settle; sleep 0.5; done
            mkdir -p \(mountPoint) && (mountpoint -q \(mountPoint) || mount -o ro,noload LABEL=\(label) \(mountPoint))
            """)
    }

    /// After every boot, reboot and power-on: the boot is counted and checked, then
    /// `afterBoot` runs.
    private func cameUp() throws {
        bootCount += 1
        try checkSystem()
        let machine = try running()
        // Where the boot went (a restored machine's guest remembers the saved boot): for the
        // reports, never a reason to fail.
        if machine.bootClock.restoredFrom == nil, let profile = try? BootProfile.measure(machine) { log.profileLatestBoot(profile) }
        if try machine.keepFirstBoot() {
            log.note("the first boot could not be saved and restored: the machine booted again")
            try checkSystem()
        }
        if let updateServer {
            tunnel?.stop()
            tunnel = try running().reverseForward(guestPort: RunEnvironment.updateServerGuestPort, to: updateServer.port, timeout: 120)
            log.note("the guest's 127.0.0.1:\(RunEnvironment.updateServerGuestPort) reaches the update server")
        }
        try afterBoot?(self)
    }

    /// After each boot: the boot must finish (`systemctl is-system-running --wait`; under
    /// emulation the channel answers before it does) with no failed unit.
    private func checkSystem() throws {
        let state = try run("timeout 600 systemctl is-system-running --wait", timeout: 660).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard state == "running" || !checksBaseState else {
            let failed = try run("systemctl list-units --failed --plain --no-legend --no-pager").stdout
                .split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
            for unit in failed { _ = try? run("systemctl status --no-pager --lines 20 \(unit)") }
            // The failed units' own last words (what their processes logged; systemd's lines
            // about them when they logged nothing), quoted in the failure.
            let journal = failed.prefix(3).compactMap { unit in
                (try? run("journalctl -b --no-pager -o cat -n 3 _SYSTEMD_UNIT=\(unit.shellQuoted) | grep . "
                          + "|| journalctl -b --no-pager -o cat -n 3 -u \(unit.shellQuoted)").stdout)
                    .map { $0.split(separator: "\n").map { "\(unit): \($0)" }.joined(separator: "\n  ") }
            }.filter { !$0.isEmpty }
            throw ScenarioError("boot \(bootCount) ended '\(state)'"
                                + (failed.isEmpty ? "" : "; failed units: " + failed.joined(separator: ", "))
                                + (journal.isEmpty ? "" : "; their journal:\n  " + journal.joined(separator: "\n  ")))
        }
    }

    /// Appends the current boot's journal to `journal.txt`.
    func collectJournal() {
        guard let machine, let result = try? machine.channel.run("journalctl -b --no-pager -o short-monotonic", timeout: 120) else { return }
        log.append("===== boot \(bootCount) =====\n" + result.stdout, to: "journal.txt")
    }

    /// Stops the machine: journal and console into the artifacts; the disk kept for `harness
    /// spawn` when `keepDisk`.
    func stop(keepDisk: Bool = false) {
        tunnel?.stop()
        tunnel = nil
        guard let machine else { return }
        collectJournal()
        let disk = keepDisk ? log.directory + "/disk.qcow2" : nil
        machine.shutdown(keepingDiskAt: disk)
        keepConsole()
        if let disk { log.note("disk kept: harness spawn \(disk)") }
        self.machine = nil
    }

    /// Where a stopped machine's console is copied (by `Machine.shutdown`, also when its boot
    /// fails) before `keepConsole` appends it to `console.txt`.
    private var lastConsole: String { log.directory + "/.console-last.txt" }

    private func keepConsole() {
        guard let console = try? String(contentsOfFile: lastConsole, encoding: .utf8) else { return }
        log.append(console, to: "console.txt")
        try? FileManager.default.removeItem(atPath: lastConsole)
    }

    /// The console lines around a failure: from a little before the first problem the
    /// console check knows, or else its last lines.
    func consoleExcerpt() -> String? {
        guard let console = machine?.console ?? (try? String(contentsOfFile: log.directory + "/console.txt", encoding: .utf8)),
              !console.isEmpty else { return nil }
        return Self.excerpt(of: console)
    }

    static func excerpt(of console: String) -> String {
        let lines = console.split(whereSeparator: \.isNewline).map { ConsoleCheck.plainText(String($0)) }
        if let problem = lines.firstIndex(where: { !ConsoleCheck.problems(in: $0).isEmpty }) {
            return lines[max(0, problem - 15)..<min(lines.count, problem + 6)].joined(separator: "\n")
        }
        return lines.suffix(25).joined(separator: "\n")
    }

    /// The last lines of a command's output, for a one-line error.
    static func tail(_ text: String) -> String {
        text.lastLinesOnOneLine(5)
    }
}
