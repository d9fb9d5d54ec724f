import Foundation
@testable import Machine
import TestSupport
import Testing
import ToolSupport

/// Where saved first boots live and when one is used: the key follows the image file and the
/// machine the guest sees, not the host's paths; slots are one per running machine; an
/// incomplete save is never used; stale saves go. (Restoring them is `RestoredBootTests`.)
@Suite struct SavedBootSlotTests {
    func definition(name: String = "harness-1-a", scratch: String = "/var/tmp/a", memoryMiB: Int = 1536) -> DomainDefinition {
        DomainDefinition(name: name, accelerator: .tcg, memoryMiB: memoryMiB, vcpus: 2, disk: scratch + "/overlay.qcow2",
                         console: scratch + "/console.txt", agentSocket: scratch + "/agent.sock", nvram: nil)
    }

    @Test func theKeyFollowsTheImageAndTheMachineNotTheHostsPaths() throws {
        let scratch = try TemporaryDirectory(prefix: "saved-boot-key-")
        defer { scratch.remove() }
        let image = scratch.path + "/disk.qcow2"
        try Data("one".utf8).write(to: URL(fileURLWithPath: image))
        let key = try #require(SavedBootSlot.key(image: image, definition: definition(), diskSize: nil))
        #expect(SavedBootSlot.key(image: image, definition: definition(name: "harness-2-b", scratch: "/var/tmp/b"), diskSize: nil) == key,
                "another machine's name and scratch paths")
        #expect(SavedBootSlot.key(image: image, definition: definition(memoryMiB: 2048), diskSize: nil) != key)
        #expect(SavedBootSlot.key(image: image, definition: definition(), diskSize: 20 << 30) != key)
        // The image built again in place (same size): a new change time.
        Thread.sleep(forTimeInterval: 0.01)
        try Data("two".utf8).write(to: URL(fileURLWithPath: image))
        #expect(SavedBootSlot.key(image: image, definition: definition(), diskSize: nil) != key)
        #expect(SavedBootSlot.key(image: scratch.path + "/missing.qcow2", definition: definition(), diskSize: nil) == nil)
    }

    @Test func eachRunningMachineHasASlotOfItsOwnAndOnlyACompleteSaveIsUsed() throws {
        let state = try TemporaryDirectory(prefix: "saved-boot-slots-")
        defer { state.remove() }
        var first: SavedBootSlot? = try SavedBootSlot.claim(stateDirectory: state.path, key: "k")
        let second = try SavedBootSlot.claim(stateDirectory: state.path, key: "k")
        #expect(first?.directory != second.directory, "a slot is held while its machine runs")
        #expect(first?.record == nil)
        try Data("state".utf8).write(to: URL(fileURLWithPath: try #require(first).stateFile))
        #expect(first?.record == nil, "a save without its record is incomplete")
        let record = SavedBootRecord(uuid: "3f2c1d7e-0000-4000-8000-000000000001", savedAt: 1_800_000_000, image: "/images/a.qcow2",
                                     imageIdentity: "/images/a.qcow2 1 2 3 4.5", bootSeconds: 30)
        try first?.commit(record)
        #expect(first?.record == record)
        let firstDirectory = first?.directory
        first = nil
        var again = try SavedBootSlot.claim(stateDirectory: state.path, key: "k")
        // A child forked meanwhile by another test of this process holds the lock's open file
        // until it execs (then O_CLOEXEC closes it): under load, give it a moment.
        for _ in 0..<100 where again.directory != firstDirectory {
            Thread.sleep(forTimeInterval: 0.01)
            again = try SavedBootSlot.claim(stateDirectory: state.path, key: "k")
        }
        #expect(again.directory == firstDirectory && again.record == record, "a released slot is claimed again, its save with it")
        again.discard()
        #expect(again.record == nil && !FileManager.default.fileExists(atPath: again.stateFile))
    }

    @Test func savesOfAnImageBuiltAgainOrGoneAreRemovedUnlessAMachineRunsFromThem() throws {
        let state = try TemporaryDirectory(prefix: "saved-boot-prune-")
        defer { state.remove() }
        func image(_ name: String) throws -> String {
            let path = state.path + "/" + name
            try Data(name.utf8).write(to: URL(fileURLWithPath: path))
            return path
        }
        func save(_ key: String, image: String) throws -> SavedBootSlot {
            let slot = try SavedBootSlot.claim(stateDirectory: state.path, key: key)
            try slot.commit(SavedBootRecord(uuid: "u", savedAt: 1, image: image,
                                            imageIdentity: try #require(SavedBootSlot.fileIdentity(image)), bootSeconds: 1))
            return slot
        }
        let rebuilt = try image("rebuilt.qcow2"), deleted = try image("deleted.qcow2"), kept = try image("kept.qcow2")
        _ = try save("rebuilt", image: rebuilt)
        _ = try save("deleted", image: deleted)
        _ = try save("kept", image: kept)
        _ = try save("kept-other-machine", image: kept)
        let running = try save("running", image: rebuilt)
        Thread.sleep(forTimeInterval: 0.01)
        _ = try image("rebuilt.qcow2")
        try FileManager.default.removeItem(atPath: deleted)
        SavedBootSlot.pruneStale(stateDirectory: state.path)
        let left = try FileManager.default.contentsOfDirectory(atPath: SavedBootSlot.root(stateDirectory: state.path)).sorted()
        #expect(left == ["kept", "kept-other-machine", "running"],
                "a rebuilt or deleted image's saves go; an unchanged image's stay, for every machine; a running machine's stay")
        _ = running
    }
}
