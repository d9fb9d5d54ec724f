import Foundation
import Libvirt
import Results
import ToolSupport

/// How to boot an image.
public struct SpawnOptions: Sendable {
    /// The disk image (any format `BootDisk` opens); never written: every boot runs on an overlay.
    public var image: String
    /// The disk's size as the guest sees it, when larger than the image's (the overlay grows).
    public var diskSize: UInt64?
    /// The boot disk's logical sector size: 512, or 4096 for a metal4k image.
    public var sectorSize = 512
    /// A libvirt URI; nil for the embedded driver under `stateDirectory`.
    public var connectURI: String?
    public var memoryMiB = 1536
    public var vcpus = 2
    /// Where the serial console is copied after the machine stops, if anywhere.
    public var consoleFile: String?
    /// Where the embedded driver keeps its state.
    public var stateDirectory: String
    /// How long to wait for the guest to answer on its channel after power-on.
    public var bootTimeout: TimeInterval = 300
    /// Boot through UEFI (OVMF, with fresh NVRAM) instead of the BIOS.
    public var uefi = false
    /// Disks attached after the boot disk (`vdb`, `vdc`, ...): an update disk, say.
    public var extraDisks: [AttachedDisk] = []
    /// How commands reach the guest.
    public var channel: ChannelKind = .agent
    /// Restore the image's saved first boot instead of booting, when there is one, and save
    /// this boot for later ones when not (`Machine.keepFirstBoot`). Only for a disk image file
    /// (not an archive) reached by the guest agent alone, booted through the BIOS.
    public var restore = false
    /// With the guest agent channel too, the SSH forward into the guest, logging in with this
    /// key: for `Machine.reverseForward` (the guest's network otherwise stays restricted).
    public var sshIdentity: String?

    public init(image: String, stateDirectory: String) {
        self.image = image
        self.stateDirectory = stateDirectory
    }
}

/// A booted guest: a transient libvirt domain on a fresh qcow2 overlay of an image, its serial
/// console captured, commands run through the QEMU guest agent or SSH. `shutdown()` (also on
/// Ctrl-C) destroys the domain and removes the overlay.
public final class Machine: GuestMachine, @unchecked Sendable {
    public let name: String
    public let accelerator: Accelerator
    let connection: LibvirtConnection
    /// The running domain; a new one after `powerOn()`. Threads watching the guest read it
    /// while `powerOn` replaces it: it lives behind `domainLock`.
    var domain: Domain {
        get { domainLock.withLock { currentDomain } }
        set { domainLock.withLock { currentDomain = newValue } }
    }
    private var currentDomain: Domain
    private let domainLock = NSLock()
    var definition: DomainDefinition
    let scratch: TemporaryDirectory
    let options: SpawnOptions
    /// Held while libvirt creates the domain: the interrupt action waits for it (see `start`).
    let creation: NSLock
    /// The saved first boot this machine was restored from or is to save (`keepFirstBoot`),
    /// held while it runs.
    var savedBootSlot: SavedBootSlot?
    /// With a first boot to save: the extra disks held back from it until it is saved.
    var heldBackDisks: [AttachedDisk]?
    public var consolePath: String { scratch.path + "/console.txt" }
    /// The qcow2 overlay the guest writes to.
    public var overlayPath: String { scratch.path + "/overlay.qcow2" }
    /// What the host saw of the latest boot (power-on, reboot): for `BootProfile`.
    public internal(set) var bootClock: BootClock
    /// Where the latest boot's console output starts in the console file.
    var consoleOffset = 0
    public var channel: any GuestChannel {
        switch options.channel {
        case .agent: GuestAgent(domain: domain)
        case .ssh(let identity): SSHChannel(port: definition.sshPort ?? 22, identity: identity)
        }
    }

    /// Boots the image and waits until its channel answers. With `restore`, a saved first boot
    /// of the image on this machine shape is restored instead (see `SavedBootSlot`), and when
    /// there is none, the boot is saved by `keepFirstBoot()` once the caller has checked it.
    public static func boot(_ options: SpawnOptions) throws -> Machine {
        for image in [options.image] + options.extraDisks.map(\.path) where !FileManager.default.fileExists(atPath: image) {
            throw MachineError("\(image): no such image")
        }
        let accelerator = Accelerator.detected
        Console.progress("Accelerator: \(accelerator.rawValue)" + (accelerator == .tcg ? " (KVM unusable here)" : ""))
        let scratch = try TemporaryDirectory(prefix: "harness-machine-")
        let overlay = scratch.path + "/overlay.qcow2"
        let disk = try BootDisk.open(options.image, scratch: scratch.path)
        let connection = try connect(stateDirectory: options.stateDirectory, uri: options.connectURI)
        destroyLeftovers(on: connection, stateDirectory: options.stateDirectory)
        var definition = DomainDefinition(name: "harness-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())", accelerator: accelerator, memoryMiB: options.memoryMiB,
                                          vcpus: options.vcpus, disk: overlay, diskSectorSize: options.sectorSize,
                                          console: scratch.path + "/console.txt",
                                          agentSocket: scratch.path + "/agent.sock",
                                          nvram: options.uefi ? scratch.path + "/nvram.fd" : nil,
                                          extraDisks: options.extraDisks,
                                          sshPort: options.channel == .agent && options.sshIdentity == nil ? nil : try LoopbackPort.free())
        let creation = NSLock()
        let slot = options.restore ? savedBootSlot(of: disk, definition: definition, options: options) : nil
        if let slot { definition.name = slot.domainName }
        let name = definition.name
        var restoreFailure: String?
        if let slot, let record = slot.record {
            do {
                return try restore(record, from: slot, definition: definition, connection: connection, scratch: scratch,
                                   options: options, accelerator: accelerator, creation: creation)
            } catch {
                restoreFailure = String(describing: error)
                Console.progress("Restoring the saved first boot \(slot.directory) failed, so \(options.image) boots instead: \(error)")
                slot.discard()
                try? FileManager.default.removeItem(atPath: definition.console)
            }
        }
        // A boot to be saved runs without the extra disks: `keepFirstBoot` plugs them in after
        // the save, as every restore of it does.
        if slot != nil { definition.extraDisks = [] }
        try disk.createOverlay(at: overlay, size: options.diskSize)
        Console.progress("Booting \(options.image) as \(name)")
        let poweredOn = Date()
        let domain = try start(name, on: connection, creation: creation) { try connection.createDomain(xml: definition.xml) }
        let machine = Machine(name: name, accelerator: accelerator, connection: connection, domain: domain,
                              definition: definition, scratch: scratch, options: options, creation: creation,
                              bootClock: BootClock(poweredOn: poweredOn, restoreFailure: restoreFailure))
        machine.savedBootSlot = slot
        machine.heldBackDisks = slot == nil ? nil : options.extraDisks
        do {
            try machine.waitForChannel()
        } catch {
            machine.shutdown()
            throw error
        }
        return machine
    }

    /// Starts the domain `create` makes. Ctrl-C from here on destroys it, also while libvirt is
    /// still starting its QEMU: the action waits for the creation to return, then destroys the
    /// domain by name (the name outlives power cycles).
    static func start(_ name: String, on connection: LibvirtConnection, creation: NSLock,
                      _ create: () throws -> Domain) throws -> Domain {
        InterruptCleanup.shared.registerAction(name) {
            creation.withLock {}
            for domain in connection.domains(namedWithPrefix: name) { try? domain.destroy() }
        }
        do {
            return try creation.withLock(create)
        } catch {
            InterruptCleanup.shared.unregisterAction(name)
            throw error
        }
    }

    /// The libvirt connection of `uri`, or of the embedded driver under the state directory.
    static func connect(stateDirectory: String, uri: String?) throws -> LibvirtConnection {
        if let uri { return try LibvirtConnection.shared(uri: uri) }
        let embedRoot = stateDirectory + "/libvirt"
        try EmbeddedDriver.prepare(root: embedRoot)
        return try LibvirtConnection.shared(uri: "qemu:///embed?root=\(embedRoot)")
    }

    /// Destroys the domains that runs killed before could not (see `destroyLeftovers`): what
    /// a run does first, before it composes or boots anything.
    public static func destroyLeftovers(stateDirectory: String, connectURI: String?) throws {
        destroyLeftovers(on: try connect(stateDirectory: stateDirectory, uri: connectURI), stateDirectory: stateDirectory)
    }

    /// Domains named `harness-<pid>-...` whose harness process is gone were left running by an
    /// interrupted run (QEMU outlives the process that embedded the driver), and so were a
    /// saved boot's (`harness-saved-...`) whose slot no process holds: destroy them.
    static func destroyLeftovers(on connection: LibvirtConnection, stateDirectory: String) {
        for domain in connection.domains(namedWithPrefix: "harness-") {
            let fields = domain.name.split(separator: "-")
            let abandoned = domain.name.hasPrefix(SavedBootSlot.domainNamePrefix)
                ? SavedBootSlot.isAbandoned(domainName: domain.name, stateDirectory: stateDirectory)
                : fields.count >= 2 && Int32(fields[1]).map { $0 != getpid() && kill($0, 0) != 0 } == true
            guard abandoned else { continue }
            Console.progress("Destroying \(domain.name), left running by an interrupted run")
            try? domain.destroy()
        }
    }

    init(name: String, accelerator: Accelerator, connection: LibvirtConnection, domain: Domain,
         definition: DomainDefinition, scratch: TemporaryDirectory, options: SpawnOptions, creation: NSLock,
         bootClock: BootClock) {
        self.name = name
        self.creation = creation
        self.bootClock = bootClock
        self.accelerator = accelerator
        self.connection = connection
        self.currentDomain = domain
        self.definition = definition
        self.scratch = scratch
        self.options = options
    }

    /// The serial console so far.
    public var console: String {
        (try? String(contentsOfFile: consolePath, encoding: .utf8)) ?? ""
    }

    /// Fails if the console shows a panic, an emergency shell or the like, quoting the lines.
    public func checkConsole() throws {
        try checkConsole(stoppingTheBoot: false)
    }

    /// While waiting for the guest, only what stops a boot fails it: a failed unit waits for
    /// the channel, so that the session can quote the unit's journal.
    private func checkConsole(stoppingTheBoot: Bool) throws {
        let problems = ConsoleCheck.problems(in: console, stoppingTheBoot: stoppingTheBoot)
        guard problems.isEmpty else {
            let quoted = problems.prefix(5).map { "\($0.kind): \($0.line)" }.joined(separator: "\n  ")
            throw MachineError("console of \(name) shows \(problems.count) problem(s):\n  \(quoted)")
        }
    }

    /// Waits until the channel answers, looking every `interval` (a boot takes tens of
    /// seconds; a restored guest answers within one or two).
    func waitForChannel(timeout: TimeInterval? = nil, interval: TimeInterval = 1) throws {
        let start = Date()
        var lastReport = start
        let channel = channel
        let timeout = timeout ?? options.bootTimeout
        while Date().timeIntervalSince(start) < timeout {
            noteKernelBanner()
            if try channel.ping() {
                bootClock.answered = Date()
                Console.progress(String(format: "%@ answered after %.0f s", channel.name, Date().timeIntervalSince(start)))
                try checkConsole(stoppingTheBoot: true)
                return
            }
            guard domain.isActive else { throw MachineError("\(name) stopped while booting; console:\n\(consoleTail())") }
            try checkConsole(stoppingTheBoot: true)
            if Date().timeIntervalSince(lastReport) >= 10 {
                lastReport = Date()
                let last = console.split(whereSeparator: \.isNewline).last.map { ConsoleCheck.plainText(String($0)) } ?? "(no console output yet)"
                Console.progress(String(format: "Waiting for the guest (%.0f s): %@", Date().timeIntervalSince(start), last))
            }
            Thread.sleep(forTimeInterval: interval)
        }
        throw MachineError("\(name): \(channel.name) did not answer within \(Int(timeout)) s; the console's last lines:\n\(consoleTail())")
    }

    private func consoleTail() -> String { Self.consoleTail(console) }

    /// A new boot starts now: its clock, and its part of the console (a new domain may have
    /// truncated the file).
    func startBootClock(isReboot: Bool) {
        bootClock = BootClock(poweredOn: Date(), isReboot: isReboot)
        consoleOffset = (try? FileManager.default.attributesOfItem(atPath: consolePath)[.size] as? NSNumber)?.intValue ?? 0
    }

    /// Notes when the kernel's first line shows on this boot's console.
    private func noteKernelBanner() {
        guard bootClock.kernelSeen == nil else { return }
        let bytes = Array(console.utf8)
        if bytes.count < consoleOffset { consoleOffset = 0 }
        if String(decoding: bytes[consoleOffset...], as: UTF8.self).contains(BootClock.kernelBanner) { bootClock.kernelSeen = Date() }
    }

    /// The last `lines` of a serial console, for an error or a progress line.
    static func consoleTail(_ console: String, lines: Int = 15) -> String {
        let last = console.split(whereSeparator: \.isNewline).suffix(lines)
        return last.isEmpty ? "(nothing: no boot loader or kernel wrote to the serial console)" : last.joined(separator: "\n")
    }

    /// Reboots the guest and waits until it is back with a new boot id.
    public func reboot() throws {
        let channel = channel
        let before = try channel.bootID()
        Console.progress("Rebooting \(name)")
        startBootClock(isReboot: true)
        channel.requestReboot()
        try waitForNewBoot(since: before)
    }

    /// Waits until the guest is back with a boot id other than `previous`.
    private func waitForNewBoot(since previous: String) throws {
        let start = Date()
        let channel = channel
        while Date().timeIntervalSince(start) < options.bootTimeout {
            Thread.sleep(forTimeInterval: 2)
            guard domain.isActive else { throw MachineError("\(name) stopped instead of rebooting; console:\n\(consoleTail())") }
            try checkConsole(stoppingTheBoot: true)
            noteKernelBanner()
            if try channel.ping(), let now = try? channel.bootID(), !now.isEmpty, now != previous {
                bootClock.answered = Date()
                Console.progress(String(format: "Back after %.0f s", Date().timeIntervalSince(start)))
                return
            }
        }
        throw MachineError("\(name) did not come back from a reboot within \(Int(options.bootTimeout)) s; console:\n\(consoleTail())")
    }

    /// Makes the guest's `127.0.0.1:guestPort` reach the host's `127.0.0.1:hostPort` for as long
    /// as the returned tunnel runs (until it is stopped, or the guest goes down): an OpenSSH
    /// reverse forward over the machine's SSH forward, so the guest's network stays restricted
    /// (QEMU's own guest forward cannot carry more than one connection at a time, and its
    /// per-connection command form is what libvirt's QEMU sandbox forbids). Waits for the
    /// guest's sshd, then until the guest listens on `guestPort`.
    public func reverseForward(guestPort: Int, to hostPort: Int, timeout: TimeInterval = 120) throws -> BackgroundProgram {
        let identity: String
        switch options.channel {
        case .ssh(let key): identity = key
        case .agent:
            guard let key = options.sshIdentity else { throw MachineError("\(name) was booted without an SSH forward (SpawnOptions.sshIdentity)") }
            identity = key
        }
        guard let sshPort = definition.sshPort else { throw MachineError("\(name) has no SSH forward") }
        let ssh = SSHChannel(port: sshPort, identity: identity)
        let listening = String(format: ":%04X 00000000:0000 0A", guestPort)
        let deadline = Date().addingTimeInterval(timeout)
        var lastError = ""
        while Date() < deadline {
            let tunnel = try BackgroundProgram(ssh.reverseForwardArguments(guestPort: guestPort, hostPort: hostPort))
            for _ in 0..<20 where tunnel.isRunning {
                if let tcp = try? channel.run("cat /proc/net/tcp", timeout: 30), tcp.stdout.contains(listening) {
                    Console.progress("The guest's 127.0.0.1:\(guestPort) reaches the host's 127.0.0.1:\(hostPort)")
                    return tunnel
                }
                Thread.sleep(forTimeInterval: 0.5)
            }
            tunnel.stop()
            lastError = tunnel.standardError.lastLinesOnOneLine(2)
            Thread.sleep(forTimeInterval: 2)
        }
        throw MachineError("\(name): no reverse forward to the host's port \(hostPort) within \(Int(timeout)) s: \(lastError)")
    }

    /// Plugs a disk into the running guest as the next `vdX`, and into every later power-on.
    /// Returns the guest's device name (`/dev/vdb`).
    @discardableResult
    public func attachDisk(_ disk: AttachedDisk) throws -> String {
        let letter = DomainDefinition.diskLetter(definition.extraDisks.count)
        try domain.attachDevice(xml: disk.xml(letter: letter))
        definition.extraDisks.append(disk)
        return "/dev/vd\(letter)"
    }

    /// Whether the disk at `path` is attached (at boot or plugged in since).
    public func hasDisk(_ path: String) -> Bool {
        definition.extraDisks.contains { $0.path == path }
    }

    /// Cuts the power, as a power failure would: the overlay keeps what reached it.
    public func cutPower() {
        Console.progress("Cutting the power of \(name)")
        powerOff()
    }

    /// Powers the machine on again on the same overlay (after `cutPower` or a power-off) and
    /// waits for its channel.
    public func powerOn() throws {
        guard !domain.isActive else { throw MachineError("\(name) is already running") }
        Console.progress("Powering \(name) on again")
        startBootClock(isReboot: false)
        domain = try creation.withLock { try connection.createDomain(xml: definition.xml) }
        try waitForChannel()
    }

    /// Cuts the power without cleaning up.
    func powerOff() {
        if domain.isActive { try? domain.destroy() }
    }

    /// Cuts the power (a clean shutdown would only take time: the overlay is deleted or kept
    /// as a power cut leaves it) and removes the overlay, or moves it to `keepingDiskAt` (where
    /// `harness spawn` boots it again); the console goes to `consoleFile` if set.
    public func shutdown(keepingDiskAt keptDisk: String? = nil) {
        powerOff()
        if let consoleFile = options.consoleFile {
            try? FileManager.default.removeItem(atPath: consoleFile)
            try? FileManager.default.copyItem(atPath: consolePath, toPath: consoleFile)
        }
        if let keptDisk {
            try? FileManager.default.removeItem(atPath: keptDisk)
            try? FileManager.default.moveItem(atPath: overlayPath, toPath: keptDisk)
        }
        InterruptCleanup.shared.unregisterAction(name)
        savedBootSlot = nil
        scratch.remove()
    }
}
