import Foundation
import TestSupport
import Testing
import ToolSupport

/// `harness image build` refuses bad input with one clear line and writes nothing.
@Suite struct ImageBuildErrorTests {
    func build(_ arguments: [String]) throws -> ProgramResult {
        try Program.run([HarnessExecutable.path, "image", "build"] + arguments)
    }

    /// An OSTree repository with one small commit (no boot needed for these errors).
    func repository() throws -> (TemporaryDirectory, String) {
        let scratch = try TemporaryDirectory(prefix: "image-errors-", in: ProcessScratchDirectory.path())
        let repo = scratch.path + "/repo"
        try Program.check(["ostree", "init", "--repo=" + repo, "--mode=archive"])
        try FileManager.default.createDirectory(atPath: scratch.path + "/tree/usr", withIntermediateDirectories: true)
        try Program.check(["ostree", "commit", "--repo=" + repo, "--branch=test/tree", "--tree=dir=" + scratch.path + "/tree"])
        return (scratch, repo)
    }

    @Test func unknownRefIsNamed() throws {
        let (scratch, repo) = try repository()
        defer { scratch.remove() }
        let output = scratch.path + "/out.qcow2"
        let result = try build(["--repo", repo, "--ref", "no/such/ref", "-o", output])
        #expect(result.status != 0)
        #expect(result.stderr.contains("ref 'no/such/ref' not found"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func unwritableOutputIsRefusedBeforeAnyWork() throws {
        let (scratch, repo) = try repository()
        defer { scratch.remove() }
        let result = try build(["--repo", repo, "--ref", "test/tree", "-o", "/proc/out.qcow2"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("/proc/out.qcow2: output directory /proc is not writable"))
    }

    @Test func tooSmallASizeIsRefused() throws {
        let (scratch, repo) = try repository()
        defer { scratch.remove() }
        let output = scratch.path + "/out.qcow2"
        let result = try build(["--repo", repo, "--ref", "test/tree", "-o", output, "--size", "100M"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("too small"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func badSizeAndFormatAreNamed() throws {
        let (scratch, repo) = try repository()
        defer { scratch.remove() }
        let output = scratch.path + "/out.img"
        #expect(try build(["--repo", repo, "--ref", "test/tree", "-o", output, "--size", "huge"]).stderr.contains("--size 'huge'"))
        #expect(try build(["--repo", repo, "--ref", "test/tree", "-o", output, "--format", "vmdk"]).stderr.contains("--format must be one of"))
    }
}
