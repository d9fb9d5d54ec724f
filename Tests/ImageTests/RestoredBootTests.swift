import Foundation
@testable import Machine
import Results
import TestSupport
import Testing
import ToolSupport

extension DefaultImageBootTests {
    /// Saved first boots (`SpawnOptions.restore`) on the default image's qemu artifact, with the
    /// Machine API as `harness run` drives it: one real boot saved, then machines restored from
    /// it one after another. Nested in the boot suite: one machine at a time, and the suite's
    /// state directory (its embedded libvirt), whose saves this test starts without.
    @Suite struct RestoredBootTests {
        func options(_ image: String) -> SpawnOptions {
            var options = SpawnOptions(image: image, stateDirectory: DefaultImageBootTests.stateDirectory)
            options.restore = true
            return options
        }

        /// The one slot of the image's saves (the machines here run one at a time).
        func slot(of image: String) throws -> String {
            let root = SavedBootSlot.root(stateDirectory: DefaultImageBootTests.stateDirectory)
            let keys = try FileManager.default.contentsOfDirectory(atPath: root)
            try #require(keys.count == 1, "one save for one image and machine: \(keys)")
            return root + "/" + keys[0] + "/0"
        }

        func guestClock(_ machine: Machine) throws -> Double {
            let answer = try machine.channel.run("date +%s.%N", timeout: 30).stdout
            return try #require(Double(answer.trimmingCharacters(in: .whitespacesAndNewlines)), "date said \(answer)")
        }

        /// Seconds since the guest's kernel started (CLOCK_BOOTTIME, /proc/uptime).
        func uptime(_ machine: Machine) throws -> Double {
            let answer = try machine.channel.run("cut -d' ' -f1 /proc/uptime", timeout: 30).stdout
            return try #require(Double(answer.trimmingCharacters(in: .whitespacesAndNewlines)), "/proc/uptime said \(answer)")
        }

        @Test func aSavedFirstBootIsRestoredOnADiskOfItsOwnWithTheHostsClock() throws {
            let (directory, metadata) = try DefaultImageBootTests.platformImages()
            let image = directory + "/" + (try #require(metadata.images["qemu"])).path
            FileTree.removeRecursively(SavedBootSlot.root(stateDirectory: DefaultImageBootTests.stateDirectory))

            // The first boot is real; once checked, it is saved and the machine goes on from the save.
            let first = try Machine.boot(options(image))
            #expect(first.bootClock.restoredFrom == nil && first.bootClock.restoreFailure == nil)
            #expect(try first.channel.run("systemctl is-system-running --wait", timeout: 300).stdout.contains("running"))
            let savedBootID = try first.channel.bootID()
            let uptimeAtSave = try uptime(first)
            #expect(try first.keepFirstBoot() == false)
            #expect(try first.channel.bootID() == savedBootID, "the machine went on from its save")
            first.shutdown()
            let slot = try slot(of: image)
            let record = try JSONDecoder().decode(SavedBootRecord.self, from: Data(contentsOf: URL(fileURLWithPath: slot + "/saved.json")))
            let savedDisk = try FileManager.default.attributesOfItem(atPath: slot + "/disk.qcow2")

            // A clock that stood still since the save would be this far behind; a guest that saw
            // the wait as a stall would report a soft lockup (its threshold is 20 s).
            while Date().timeIntervalSince1970 - record.savedAt < 25 { Thread.sleep(forTimeInterval: 1) }
            let second = try Machine.boot(options(image))
            #expect(second.bootClock.restoredFrom == slot)
            #expect(abs(try guestClock(second) - Date().timeIntervalSince1970) < 3, "the restored guest's clock is the host's")
            // Its monotonic clock goes on from the save: the 25 s and more the save lay on disk are
            // no time to the guest.
            let hostSecondsSinceSave = Date().timeIntervalSince1970 - record.savedAt
            #expect(try uptime(second) - uptimeAtSave < hostSecondsSinceSave - 10,
                    "the guest saw the time its save lay on disk")
            #expect(try second.channel.bootID() == savedBootID, "the guest goes on from the saved boot")
            #expect(second.overlayPath != slot + "/disk.qcow2")
            #expect(try second.channel.run("echo second > /var/written-by-second && sync", timeout: 30).exitCode == 0)
            #expect(second.console.contains(BootClock.kernelBanner), "the saved boot's console comes first")
            try second.checkConsole()
            try second.reboot()
            #expect(try second.channel.bootID() != savedBootID, "a reboot after a restore is a real one, told by its boot id")
            #expect(try second.channel.run("cat /var/written-by-second", timeout: 30).stdout == "second\n")
            second.shutdown()

            let third = try Machine.boot(options(image))
            #expect(third.bootClock.restoredFrom == slot)
            #expect(try third.channel.run("test -e /var/written-by-second", timeout: 30).exitCode == 1,
                    "a machine restored from the same save does not see another's writes")
            third.shutdown()
            let disk = try FileManager.default.attributesOfItem(atPath: slot + "/disk.qcow2")
            #expect(disk[.modificationDate] as? Date == savedDisk[.modificationDate] as? Date && disk[.size] as? Int == savedDisk[.size] as? Int,
                    "the saved disk is never written")

            // A save that cannot be restored: the machine boots instead, says why, and is saved anew.
            let state = try FileHandle(forWritingTo: URL(fileURLWithPath: slot + "/machine.save"))
            try state.seek(toOffset: 0)
            state.write(Data(repeating: 0x5a, count: 4096))
            try state.close()
            let fallback = try Machine.boot(options(image))
            #expect(fallback.bootClock.restoredFrom == nil)
            #expect(fallback.bootClock.restoreFailure != nil, "the fallback says why")
            #expect(try fallback.channel.bootID() != savedBootID, "a real boot")
            #expect(try fallback.channel.run("systemctl is-system-running --wait", timeout: 300).stdout.contains("running"))
            #expect(try fallback.keepFirstBoot() == false)
            fallback.shutdown()
            let renewed = try JSONDecoder().decode(SavedBootRecord.self, from: Data(contentsOf: URL(fileURLWithPath: slot + "/saved.json")))
            #expect(renewed.savedAt > record.savedAt)
        }
    }
}
