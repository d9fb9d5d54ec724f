import Foundation
import ToolSupport

/// What `saved.json` says of a saved first boot; written last, so a save without it is
/// incomplete and never restored.
struct SavedBootRecord: Codable, Equatable {
    /// The saved domain's UUID: libvirt restores a save only under it.
    var uuid: String
    /// Seconds since 1970.
    var savedAt: Double
    /// The image booted, and its file's identity then (`fileIdentity`): a save of an image
    /// whose file changed since, or is gone, is pruned.
    var image: String
    var imageIdentity: String
    /// Power-on until the guest was checked, the time a restore saves.
    var bootSeconds: Double
}

/// A first boot of an image kept for the image's later first boots: the machine libvirt saved
/// once the guest was up and checked (memory and devices: `machine.save`), the disk as that
/// guest had written it (`disk.qcow2`, on the image, never written again: each restored machine
/// runs on an overlay of it), the boot's console, and `saved.json`. It lives under
/// `STATE/saved-boots/KEY/SLOT`: KEY names the image file (path, device, inode, size, change
/// time) and the machine as the guest sees it (the domain XML with the host paths left out,
/// QEMU's binary), so that a rebuilt image or another machine never restores an old save; a
/// SLOT is one machine running at a time (a save's machines share its UUID, which libvirt
/// lets one domain have), claimed with a lock held while the machine runs.
final class SavedBootSlot {
    let key: String
    let index: Int
    let directory: String
    private let lock: Int32

    var stateFile: String { directory + "/machine.save" }
    var disk: String { directory + "/disk.qcow2" }
    var console: String { directory + "/console.txt" }
    private var recordPath: String { directory + "/saved.json" }

    private init(key: String, index: Int, directory: String, lock: Int32) {
        self.key = key
        self.index = index
        self.directory = directory
        self.lock = lock
    }

    deinit { close(lock) }

    /// The name of the slot's machines: libvirt restores a save only under the name and UUID
    /// it was saved with, so every machine of a slot has this one (no pid in it:
    /// `isAbandoned` tells a leftover).
    var domainName: String { Self.domainNamePrefix + "\(key)-\(index)" }
    static let domainNamePrefix = "harness-saved-"

    /// Whether the machine named `domainName` (a slot's) was left running: no process holds
    /// its slot's lock (a process holding it, this one included, runs it).
    static func isAbandoned(domainName: String, stateDirectory: String) -> Bool {
        let fields = domainName.dropFirst(domainNamePrefix.count).split(separator: "-")
        guard domainName.hasPrefix(domainNamePrefix), fields.count == 2 else { return false }
        let lockPath = root(stateDirectory: stateDirectory) + "/\(fields[0])/\(fields[1])/lock"
        let lock = open(lockPath, O_RDWR | O_CLOEXEC)
        guard lock >= 0 else { return true }
        defer { close(lock) }
        return flock(lock, LOCK_EX | LOCK_NB) == 0
    }

    /// Where the saves of a state directory live.
    static func root(stateDirectory: String) -> String { stateDirectory + "/saved-boots" }

    /// The key of `image`'s first boot on the machine `definition` describes (its host paths
    /// are ignored) with a disk of `diskSize`, or nil when the image's file cannot be read.
    static func key(image: String, definition: DomainDefinition, diskSize: UInt64?) -> String? {
        guard let imageIdentity = fileIdentity(image), let qemu = fileIdentity(DomainDefinition.emulator) else { return nil }
        let parts = [imageIdentity, qemu, "disk size \(diskSize.map(String.init) ?? "the image's")", definition.machineShapeXML]
        return String(Digest.sha256(parts.joined(separator: "\n")).prefix(24))
    }

    /// Path, device, inode, size and change time: what changes when a file is written again
    /// or replaced, without reading gigabytes.
    static func fileIdentity(_ path: String) -> String? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return "\(path) \(status.st_dev) \(status.st_ino) \(status.st_size) \(status.st_ctim.tv_sec).\(status.st_ctim.tv_nsec)"
    }

    /// The first slot of `key` no running machine holds, locked until this object goes.
    static func claim(stateDirectory: String, key: String) throws -> SavedBootSlot {
        let parent = root(stateDirectory: stateDirectory) + "/" + key
        for index in 0..<64 {
            let directory = parent + "/\(index)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let lock = try SystemCallError.check("open", directory + "/lock") {
                open(directory + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            }
            if flock(lock, LOCK_EX | LOCK_NB) == 0 { return SavedBootSlot(key: key, index: index, directory: directory, lock: lock) }
            close(lock)
        }
        throw MachineError("\(parent): 64 machines of one saved boot running at once")
    }

    /// The save in this slot, when one is complete.
    var record: SavedBootRecord? {
        guard let data = FileManager.default.contents(atPath: recordPath) else { return nil }
        return try? JSONDecoder().decode(SavedBootRecord.self, from: data)
    }

    /// Marks the save complete (its state file, disk and console in place).
    func commit(_ record: SavedBootRecord) throws {
        try JSONEncoder().encode(record).write(to: URL(fileURLWithPath: recordPath), options: .atomic)
    }

    /// Removes the save (a restore of it failed, or a save did not finish); the slot stays claimed.
    func discard() {
        for path in [recordPath, stateFile, disk, console] { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Removes the saves of images whose file changed since (built again) or is gone, except
    /// those a machine is running from.
    static func pruneStale(stateDirectory: String) {
        let root = root(stateDirectory: stateDirectory)
        keys: for key in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            let parent = root + "/" + key
            let slots = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
            let records = slots.compactMap { slot -> SavedBootRecord? in
                guard let data = FileManager.default.contents(atPath: parent + "/" + slot + "/saved.json") else { return nil }
                return try? JSONDecoder().decode(SavedBootRecord.self, from: data)
            }
            guard records.contains(where: { fileIdentity($0.image) != $0.imageIdentity }) else { continue }
            // Every slot's lock, or none: a slot in use keeps the key.
            var held: [Int32] = []
            defer { held.forEach { close($0) } }
            for slot in slots {
                let lock = open(parent + "/" + slot + "/lock", O_RDWR | O_CLOEXEC)
                guard lock >= 0 else { continue }
                held.append(lock)
                guard flock(lock, LOCK_EX | LOCK_NB) == 0 else { continue keys }
            }
            try? FileManager.default.removeItem(atPath: parent)
        }
    }
}
