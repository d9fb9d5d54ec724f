import Foundation
import Libvirt
import Results
import ToolSupport

/// Saved first boots (`SpawnOptions.restore`): a test's first boot of an image is the same
/// every time, so it is made once, checked, saved, and restored for the image's later first
/// boots in seconds. Each restored machine runs on an overlay of its own; reboots and power-ons
/// after a restore boot for real.
extension Machine {
    /// The slot of `disk`'s saved first boot on `definition`'s machine, claimed; nil when the
    /// boot cannot be saved (an archive's disk unpacked into the scratch, the SSH channel's
    /// network, UEFI's variable store) or the slot cannot be had (said, and the machine boots).
    static func savedBootSlot(of disk: BootDisk, definition: DomainDefinition, options: SpawnOptions) -> SavedBootSlot? {
        guard disk.path == URL(fileURLWithPath: options.image).standardizedFileURL.path,
              definition.sshPort == nil, definition.nvram == nil else { return nil }
        var shape = definition
        shape.extraDisks = []
        guard let key = SavedBootSlot.key(image: disk.path, definition: shape, diskSize: options.diskSize) else { return nil }
        do {
            return try SavedBootSlot.claim(stateDirectory: options.stateDirectory, key: key)
        } catch {
            Console.progress("No saved first boot for \(options.image): \(error)")
            return nil
        }
    }

    /// A machine restored from `slot`'s save, its clock set and its extra disks plugged in.
    static func restore(_ record: SavedBootRecord, from slot: SavedBootSlot, definition: DomainDefinition,
                        connection: LibvirtConnection, scratch: TemporaryDirectory, options: SpawnOptions,
                        accelerator: Accelerator, creation: NSLock) throws -> Machine {
        let age = Date().timeIntervalSince1970 - record.savedAt
        Console.progress(String(format: "Restoring the first boot of %@ saved %.0f s ago (%@) as %@",
                                options.image, age, slot.directory, definition.name))
        let started = Date()
        // The saved boot's console first, as if this machine had printed it.
        try FileManager.default.copyItem(atPath: slot.console, toPath: definition.console)
        let savedConsole = try Data(contentsOf: URL(fileURLWithPath: definition.console)).count
        let (domain, restored) = try startRestored(from: slot, record: record, definition: definition,
                                                   connection: connection, creation: creation)
        let machine = Machine(name: definition.name, accelerator: accelerator, connection: connection, domain: domain,
                              definition: restored, scratch: scratch, options: options, creation: creation,
                              bootClock: BootClock(poweredOn: started, restoredFrom: slot.directory))
        machine.savedBootSlot = slot
        machine.consoleOffset = savedConsole
        do {
            try machine.settleRestored(attaching: options.extraDisks)
        } catch {
            // Not `shutdown()`: the scratch stays for the boot that follows.
            machine.powerOff()
            machine.savedBootSlot = nil
            InterruptCleanup.shared.unregisterAction(machine.name)
            throw error
        }
        return machine
    }

    /// Starts `slot`'s save on a new overlay of its disk at `definition.disk`, under
    /// `definition`'s name and paths and the save's UUID.
    private static func startRestored(from slot: SavedBootSlot, record: SavedBootRecord, definition: DomainDefinition,
                                      connection: LibvirtConnection, creation: NSLock) throws -> (Domain, DomainDefinition) {
        try BootDisk(path: slot.disk, format: "qcow2").createOverlay(at: definition.disk)
        var restored = definition
        restored.uuid = record.uuid
        restored.extraDisks = []
        let domain = try start(restored.name, on: connection, creation: creation) {
            try connection.restoreDomain(from: slot.stateFile, xml: restored.xml, named: restored.name)
        }
        return (domain, restored)
    }

    /// After a restore: the guest answers, its clock is the host's (it stood still while the
    /// machine was saved), and the extra disks are plugged in as `vdb`, `vdc`, ... in order.
    private func settleRestored(attaching disks: [AttachedDisk]) throws {
        try waitForChannel(timeout: min(options.bootTimeout, 120), interval: 0.2)
        try setClockToHost()
        for disk in disks { try attachDisk(disk) }
        bootClock.answered = Date()
        Console.progress(String(format: "%@ restored in %.1f s", name, Date().timeIntervalSince(bootClock.poweredOn)))
    }

    /// The restored guest's clock stood still while the machine was saved: the host's time.
    private func setClockToHost() throws {
        let now = String(format: "%.3f", Date().timeIntervalSince1970)
        let result = try channel.run("date -u -s @\(now) >/dev/null", timeout: 30)
        guard result.exitCode == 0 else {
            throw MachineError("\(name): setting the restored guest's clock failed: \(result.stderr.lastLinesOnOneLine(2))")
        }
    }

    /// What a machine booted with `SpawnOptions.restore` does once the caller has checked its
    /// first boot: when it booted for real, the boot is saved for the image's later first boots
    /// (the machine stops, and is restored at once on an overlay of the saved disk: the caller
    /// goes on where it was), then the extra disks held back from the boot are plugged in.
    /// Returns true when the machine had to boot again (the save failed after it stopped the
    /// machine): a boot the caller checks again. Restored machines have nothing to do.
    public func keepFirstBoot() throws -> Bool {
        guard let slot = savedBootSlot, let disks = heldBackDisks else { return false }
        heldBackDisks = nil
        var bootedAgain = false
        var saved = false
        do {
            try save(into: slot)
            saved = true
            SavedBootSlot.pruneStale(stateDirectory: options.stateDirectory)
            guard let record = slot.record else { throw MachineError("\(slot.directory): the save has no record") }
            let restoring = Date()
            (domain, definition) = try Self.startRestored(from: slot, record: record, definition: definition,
                                                          connection: connection, creation: creation)
            try waitForChannel(timeout: min(options.bootTimeout, 120), interval: 0.2)
            try setClockToHost()
            Console.progress(String(format: "%@ restored from the save in %.1f s", name, Date().timeIntervalSince(restoring)))
        } catch {
            // The slot stays held: this machine keeps its name.
            slot.discard()
            definition.uuid = nil
            // A save that failed before it stopped the machine leaves it running as it was; a
            // restore of the save that failed (or does not answer) leaves none to go on with.
            if !saved && domain.isActive {
                Console.progress("\(name): its first boot could not be saved (\(error)); it goes on, and later boots of \(options.image) boot too")
            } else {
                Console.progress("\(name): its first boot could not be saved and restored (\(error)); it boots again")
                try bootAgainOnAFreshOverlay()
                bootedAgain = true
            }
        }
        for disk in disks { try attachDisk(disk) }
        return bootedAgain
    }

    /// Boots the image again as `boot` does, on a new overlay.
    private func bootAgainOnAFreshOverlay() throws {
        powerOff()
        try BootDisk.open(options.image, scratch: scratch.path).createOverlay(at: overlayPath, size: options.diskSize)
        startBootClock(isReboot: false)
        domain = try creation.withLock { try connection.createDomain(xml: definition.xml) }
        try waitForChannel()
    }

    /// Saves the running machine into `slot` (it stops): its state, its overlay as the saved
    /// disk (read-only from now on), its console; the record last.
    private func save(into slot: SavedBootSlot) throws {
        let started = Date()
        Console.progress("Saving the first boot of \(options.image) for later boots (\(slot.directory))")
        slot.discard()
        let uuid = domain.uuid
        try domain.save(to: slot.stateFile)
        try FileManager.default.moveItem(atPath: overlayPath, toPath: slot.disk)
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: slot.disk)
        try FileManager.default.copyItem(atPath: consolePath, toPath: slot.console)
        let image = URL(fileURLWithPath: options.image).standardizedFileURL.path
        try slot.commit(SavedBootRecord(uuid: uuid, savedAt: Date().timeIntervalSince1970, image: image,
                                        imageIdentity: SavedBootSlot.fileIdentity(image) ?? "",
                                        bootSeconds: started.timeIntervalSince(bootClock.poweredOn)))
        Console.progress(String(format: "Saved in %.1f s", Date().timeIntervalSince(started)))
    }
}
