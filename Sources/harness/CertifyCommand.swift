import ArgumentParser
import Foundation
import OSTree
import Publish

/// `harness certify`: records, signed, which tests a commit passed.
struct CertifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certify",
        abstract: "Record, signed, which tests a commit passed (from a harness run's results.json).",
        discussion: """
            The record goes into the commit's detached metadata (harness.certification, JSON, and \
            harness.certification.sig, its signature), beside the commit's own signatures: it \
            travels with the commit through publish and pull. Each certify adds the run to the \
            record and signs the whole again. The run must have tested exactly COMMIT.
            """)

    @OptionGroup var state: StateOptions

    @Option(help: "The repository holding the commit (default: STATE/repo).")
    var repo: String?

    @Option(help: "The results.json of a harness run on this commit.")
    var results: String

    @OptionGroup var signing: SigningOptions

    @Argument(help: "The commit (checksum or ref).")
    var commit: String

    func run() throws {
        guard let signer = signing.signer else { throw PublishError("certify needs --gpg-sign: a certification is signed") }
        let repository = try OSTreeRepository.open(at: absolute(repo ?? state.path + "/repo"))
        let record = try Certification.certify(commit, in: repository, results: absolute(results), signer: signer)
        let latest = record.runs.last!
        print("\(record.commit): passed \(latest.passed.count), failed \(latest.failed.count), skipped \(latest.skipped.count)"
              + " (\(record.runs.count) run\(record.runs.count == 1 ? "" : "s") recorded)")
        for name in latest.failed { print("  failed: \(name)") }
    }
}

/// `harness promote`: moves a stream's ref to a certified commit.
struct PromoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Point a stream's ref at a commit certified for every test the stream requires.",
        discussion: """
            The policy file names each stream's ref, the tests it requires, and the public key \
            certifications must be signed with (see `harness certify`). Nothing moves when a \
            test is missing; the error names each. Then `harness publish` the stream's ref.
            """)

    @OptionGroup var state: StateOptions

    @Option(help: "The repository holding the commit (default: STATE/repo).")
    var repo: String?

    @Option(help: "The stream policy file (YAML).")
    var policy: String

    @Option(help: "The stream to promote to.")
    var stream: String

    @Argument(help: "The commit (checksum or ref).")
    var commit: String

    func run() throws {
        let stream = try StreamPolicy.load(absolute(policy)).stream(stream)
        let repository = try OSTreeRepository.open(at: absolute(repo ?? state.path + "/repo"))
        let checksum = try Promotion.promote(commit, to: stream, in: repository)
        print("\(stream.ref) \(checksum)")
    }
}
