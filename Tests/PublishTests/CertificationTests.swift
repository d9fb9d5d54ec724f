import Foundation
import OSTree
import Publish
import TestSupport
import Testing
import ToolSupport

/// `harness certify` and `harness promote`: a stream's ref moves only to a commit whose signed
/// certification shows every test the stream requires passed.
@Suite struct CertificationTests {
    /// A results.json as `harness run` writes it, for `commit`.
    func results(_ bed: PublishTestbed, commit: String, started: String, tests: [String: String]) throws -> String {
        let entries = tests.sorted { $0.key < $1.key }.map { name, status in
            #"{"name": "\#(name)", "kind": "scenario", "status": "\#(status)", "startedAt": "\#(started)", "duration": 1}"#
        }
        let path = bed.scratch.path + "/results-\(UUID().uuidString.prefix(8)).json"
        try #"{"startedAt": "\#(started)", "duration": 5, "image": "x.qcow2", "commit": "\#(commit)", "parallel": 1, "tests": [\#(entries.joined(separator: ", "))], "passRates": []}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func policy(_ bed: PublishTestbed, keyFile: String) throws -> StreamPolicy {
        let path = bed.scratch.path + "/streams.yaml"
        try """
            streams:
              stable:
                ref: os/stable
                require: [upgrade-rollback, layering, upgrade-over-http]
                key: \(keyFile)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return try StreamPolicy.load(path)
    }

    @Test func promotionWaitsForEveryRequiredTestToPass() throws {
        let bed = try PublishTestbed(commits: 1)
        let commit = bed.commits[0]
        let repository = try OSTreeRepository.open(at: bed.source)
        let stream = try policy(bed, keyFile: bed.key.publicKeyPath).stream("stable")

        let uncertified = #expect(throws: PublishError.self) { try Promotion.promote(commit, to: stream, in: repository) }
        #expect(uncertified?.kind == .notCertified)
        #expect(uncertified?.description.contains("has no certification") == true)

        let first = try results(bed, commit: commit, started: "2026-12-06T10:00:00Z",
                                tests: ["upgrade-rollback": "passed", "layering": "failed"])
        _ = try Certification.certify(PublishTestbed.ref, in: repository, results: first, signer: bed.signer)
        let missing = #expect(throws: PublishError.self) { try Promotion.promote(commit, to: stream, in: repository) }
        #expect(missing?.description.hasSuffix("missing layering (failed), upgrade-over-http (not run)") == true, "\(missing!)")
        #expect(try repository.resolve("os/stable") == nil)

        // A later run passes what the first failed: the latest outcome of each test counts.
        let second = try results(bed, commit: commit, started: "2026-12-06T11:00:00Z",
                                 tests: ["layering": "passed", "upgrade-over-http": "passed"])
        let record = try Certification.certify(commit, in: repository, results: second, signer: bed.signer)
        #expect(record.runs.count == 2)
        #expect(try Promotion.promote(commit, to: stream, in: repository) == commit)
        #expect(try repository.resolve("os/stable") == commit)
        // The commit's own signature is still there beside the certification.
        #expect(try Program.check(["ostree", "--repo=" + bed.source, "show", commit]).stdout.contains("Found 1 signature"))
    }

    @Test func aCertificationSignedByAnotherKeyOrForAnotherCommitIsRefused() throws {
        let bed = try PublishTestbed(commits: 2)
        let repository = try OSTreeRepository.open(at: bed.source)
        let passed = ["upgrade-rollback": "passed", "layering": "passed", "upgrade-over-http": "passed"]
        let run = try results(bed, commit: bed.commits[0], started: "2026-12-06T10:00:00Z", tests: passed)
        let wrongCommit = #expect(throws: PublishError.self) {
            try Certification.certify(bed.commits[1], in: repository, results: run, signer: bed.signer)
        }
        #expect(wrongCommit?.description.contains("the run tested \(bed.commits[0]), not \(bed.commits[1])") == true)

        _ = try Certification.certify(bed.commits[0], in: repository, results: run, signer: bed.signer)
        let other = try TestSigningKey(name: "other")
        let stream = try policy(bed, keyFile: other.publicKeyPath).stream("stable")
        let refused = #expect(throws: PublishError.self) { try Promotion.promote(bed.commits[0], to: stream, in: repository) }
        #expect(refused?.description.contains("is not signed by the key in \(other.publicKeyPath)") == true)
    }

    @Test func thePolicyFileIsCheckedKeyByKey() throws {
        let bed = try PublishTestbed(commits: 1)
        let path = bed.scratch.path + "/bad.yaml"
        try "streams:\n  stable:\n    ref: os/stable\n    require: [a]\n    key: missing.asc\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: PublishError("\(path): streams.stable.key: no such file \(bed.scratch.path)/missing.asc")) {
            try StreamPolicy.load(path)
        }
        try "streams:\n  stable:\n    ref: os/stable\n    requires: [a]\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: PublishError("\(path): streams.stable.requires: unknown key (ref, require, key)")) {
            try StreamPolicy.load(path)
        }
    }
}
