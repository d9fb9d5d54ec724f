import Foundation
import TestSupport
import Testing
import ToolSupport

/// `harness image update-disk`: the disk a machine without a network mounts by its label and
/// pulls from, read back from the host with debugfs. (Scenarios' `deliver` steps write the
/// same disks and boot with them.)
@Suite struct UpdateDiskCommandTests {
    func updateDisk(_ arguments: [String]) throws -> ProgramResult {
        try Program.run([HarnessExecutable.path, "image", "update-disk"] + arguments)
    }

    /// `REF=SOURCE` offers a commit composed on another branch as the next version of the
    /// branch a machine follows.
    @Test func theDiskCarriesTheSourceCommitUnderTheRefItsMachineFollows() throws {
        let repository = try OneCommitRepository(prefix: "update-disk-", branch: "os/next")
        defer { repository.remove() }
        let disk = repository.scratch.path + "/updates.img"
        let result = try updateDisk(["--repo", repository.path, "--ref", "os/stable=os/next", "-o", disk])
        try #require(result.status == 0, "\(result.stderr)")
        #expect(try Program.check(["e2label", disk]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "harness-updates")
        let ref = try Program.check(["debugfs", "-R", "cat /repo/refs/heads/os/stable", disk])
        #expect(ref.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == repository.commit)
        let mode = try Program.check(["debugfs", "-R", "cat /repo/config", disk])
        #expect(mode.stdout.contains("mode=archive"), "an archive repository, as a remote serves")
        let listing = try Program.check(["debugfs", "-R", "ls -p /repo/objects", disk])
        #expect(listing.stdout.contains("/\(repository.commit.prefix(2))/"), "the commit's objects came along")
    }

    @Test func anUnknownRefAndANonRepositoryAreNamedAndNothingIsWritten() throws {
        let repository = try OneCommitRepository(prefix: "update-disk-", branch: "os/next")
        defer { repository.remove() }
        let disk = repository.scratch.path + "/updates.img"
        let unknown = try updateDisk(["--repo", repository.path, "--ref", "os/stable=no/such/ref", "-o", disk])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("no ref 'no/such/ref' to put on the update disk"), "\(unknown.stderr)")
        let notRPMMD = try updateDisk(["--repo", repository.path, "--ref", "os/next", "--rpms", repository.scratch.path + "/tree", "-o", disk])
        #expect(notRPMMD.status != 0)
        #expect(notRPMMD.stderr.contains("\(repository.scratch.path)/tree: not an rpm-md repository"), "\(notRPMMD.stderr)")
        #expect(!FileManager.default.fileExists(atPath: disk))
    }
}
