import Foundation
import OSTree
import TestSupport
import Testing
import ToolSupport

/// libostree's failures reach callers as a kind (GLib's domain and code), not as text to
/// match on; checks of our own have kinds of their own.
@Suite struct OSTreeErrorTests {
    @Test func aMissingRepositoryIsNotFoundInGIOsDomain() throws {
        let scratch = try TemporaryDirectory(prefix: "ostree-error-")
        defer { scratch.remove() }
        let error = try #require(throws: OSTreeError.self) { try OSTreeRepository.open(at: scratch.path + "/missing") }
        #expect(error.isNotFound)
        guard case .library(let failure) = error.kind else {
            Issue.record("not a library error: \(error)")
            return
        }
        #expect(failure.domain == "g-io-error-quark")
        #expect(error.description.hasPrefix(error.operation + ": "))
        #expect(error.description.contains(scratch.path + "/missing"))
    }

    @Test func aFileWhereARepositoryShouldBeIsAnotherKind() throws {
        let scratch = try TemporaryDirectory(prefix: "ostree-error-")
        defer { scratch.remove() }
        try Data("not a repository".utf8).write(to: URL(fileURLWithPath: scratch.path + "/file"))
        let error = try #require(throws: OSTreeError.self) { try OSTreeRepository.open(at: scratch.path + "/file") }
        #expect(!error.isNotFound)
    }
}
