import Foundation
import OSTree
import ToolSupport

/// Which tests a commit passed, signed, kept in the commit's detached metadata (beside its
/// GPG signatures) so that it travels with the commit: `harness publish` copies it, a pull
/// fetches it.
///
/// `harness.certification` holds the record as JSON (a string); `harness.certification.sig`
/// an OpenPGP detached signature of exactly those bytes. Each
/// `harness certify` adds a run to the record and signs the whole record again.
public struct Certification: Codable, Sendable, Equatable {
    /// One `harness run` whose results were recorded.
    public struct Run: Codable, Sendable, Equatable {
        public var startedAt: Date
        /// The sha256 of the `results.json` it came from.
        public var resultsSHA256: String
        public var passed: [String]
        public var failed: [String]
        public var skipped: [String]
    }

    public var commit: String
    public var runs: [Run]

    static let recordKey = "harness.certification"
    static let signatureKey = "harness.certification.sig"

    /// The outcome of `name` in the latest run that ran it: passed, failed, or nil (never ran,
    /// or only skipped).
    public func latestOutcome(of name: String) -> Bool? {
        for run in runs.sorted(by: { $0.startedAt > $1.startedAt }) {
            if run.passed.contains(name) { return true }
            if run.failed.contains(name) { return false }
        }
        return nil
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// Records the run of `resultsPath` (a `harness run` results.json) for `commit` in
    /// `repository`, signed by `signer`. The run must have tested that commit.
    public static func certify(_ commit: String, in repository: OSTreeRepository, results resultsPath: String,
                               signer: GPGSigner) throws -> Certification {
        guard let checksum = try repository.resolve(commit) else {
            throw PublishError("\(commit): no such commit or ref in \(repository.path)")
        }
        try signer.checkSecretKey()
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: resultsPath))
        } catch {
            throw PublishError("\(resultsPath): cannot read: \(error.localizedDescription)")
        }
        let results: RunResults
        do {
            results = try RunResults.decoder.decode(RunResults.self, from: data)
        } catch {
            throw PublishError("\(resultsPath): not the results.json of a harness run: \(error)")
        }
        guard results.commit == checksum else {
            throw PublishError("\(resultsPath): the run tested \(results.commit), not \(checksum)")
        }
        var record = try read(checksum, in: repository) ?? Certification(commit: checksum, runs: [])
        let digest = Digest.sha256(bytes: Array(data))
        record.runs.removeAll { $0.resultsSHA256 == digest }
        func names(_ status: String) -> [String] {
            Array(Set(results.tests.filter { $0.status == status }.map(\.name))).sorted()
        }
        // A test run several times (--multiply) passed only when every iteration passed.
        let failed = names("failed")
        record.runs.append(Run(startedAt: results.startedAt, resultsSHA256: digest,
                               passed: names("passed").filter { !failed.contains($0) }, failed: failed,
                               skipped: names("skipped")))
        let bytes = Array(try encoder.encode(record))
        let signature = try DetachedSignature.sign(bytes, with: signer)
        try repository.updateDetachedMetadata(of: checksum, with: [
            recordKey: .string(String(decoding: bytes, as: UTF8.self)), signatureKey: .bytes(signature),
        ])
        return record
    }

    /// The record of `checksum`, unverified; nil when it has none.
    static func read(_ checksum: String, in repository: OSTreeRepository) throws -> Certification? {
        guard let text = try repository.detachedMetadata(of: checksum)[recordKey]?.stringValue else { return nil }
        return try decoder.decode(Certification.self, from: Data(text.utf8))
    }

    /// The record of `checksum` if its signature verifies with the key in `keyFile`; an error
    /// saying what is wrong otherwise.
    public static func verified(_ checksum: String, in repository: OSTreeRepository, keyFile: String) throws -> Certification {
        let metadata = try repository.detachedMetadata(of: checksum)
        guard let text = metadata[recordKey]?.stringValue else {
            throw PublishError("\(checksum) has no certification (harness certify)", kind: .notCertified)
        }
        guard let signature = metadata[signatureKey]?.bytesValue,
              try DetachedSignature.verify(Array(text.utf8), signature: signature, keyFile: keyFile) else {
            throw PublishError("the certification of \(checksum) is not signed by the key in \(keyFile)", kind: .notCertified)
        }
        let record = try decoder.decode(Certification.self, from: Data(text.utf8))
        guard record.commit == checksum else {
            throw PublishError("the certification attached to \(checksum) is for \(record.commit)", kind: .notCertified)
        }
        return record
    }
}

/// The part of a `harness run` results.json a certification reads.
struct RunResults: Decodable {
    struct Test: Decodable {
        var name: String
        var status: String
    }

    var startedAt: Date
    var commit: String
    var tests: [Test]

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}
