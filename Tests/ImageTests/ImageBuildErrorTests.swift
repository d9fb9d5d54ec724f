import Foundation
import TestSupport
import Testing
import ToolSupport

/// `harness image build` refuses bad input with one clear line and writes nothing.
@Suite struct ImageBuildErrorTests {
    func build(_ arguments: [String]) throws -> ProgramResult {
        try Program.run([HarnessExecutable.path, "image", "build"] + arguments)
    }

    @Test func unknownRefIsNamed() throws {
        let repository = try OneCommitRepository(prefix: "image-errors-", branch: "test/tree")
        defer { repository.remove() }
        let output = repository.scratch.path + "/out.qcow2"
        let result = try build(["--repo", repository.path, "--ref", "no/such/ref", "-o", output])
        #expect(result.status != 0)
        #expect(result.stderr.contains("ref 'no/such/ref' not found"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func unwritableOutputIsRefusedBeforeAnyWork() throws {
        let repository = try OneCommitRepository(prefix: "image-errors-", branch: "test/tree")
        defer { repository.remove() }
        let result = try build(["--repo", repository.path, "--ref", "test/tree", "-o", "/proc/out.qcow2"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("/proc/out.qcow2: output directory /proc is not writable"))
    }

    @Test func tooSmallASizeIsRefused() throws {
        let repository = try OneCommitRepository(prefix: "image-errors-", branch: "test/tree")
        defer { repository.remove() }
        let output = repository.scratch.path + "/out.qcow2"
        let result = try build(["--repo", repository.path, "--ref", "test/tree", "-o", output, "--size", "100M"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("too small"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func badSizeAndFormatAreNamed() throws {
        let repository = try OneCommitRepository(prefix: "image-errors-", branch: "test/tree")
        defer { repository.remove() }
        let output = repository.scratch.path + "/out.img"
        #expect(try build(["--repo", repository.path, "--ref", "test/tree", "-o", output, "--size", "huge"]).stderr.contains("--size 'huge'"))
        #expect(try build(["--repo", repository.path, "--ref", "test/tree", "-o", output, "--format", "vmdk"]).stderr.contains("--format must be one of"))
    }

    @Test func aGPGImportThatIsNotAKeyIsRefusedBeforeAnyWork() throws {
        let repository = try OneCommitRepository(prefix: "image-errors-", branch: "test/tree")
        defer { repository.remove() }
        let output = repository.scratch.path + "/out.qcow2", notAKey = repository.scratch.path + "/key.asc"
        try "not a key\n".write(toFile: notAKey, atomically: true, encoding: .utf8)
        let result = try build(["--repo", repository.path, "--ref", "test/tree", "-o", output, "--gpg-import", notAKey])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--gpg-import \(notAKey): not an OpenPGP public key file"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}
