import Compose
import Foundation
import TestSupport
import Testing
import ToolSupport

/// Repositories far away: metadata fetched once and kept for `metadata_expire`, mirror lists,
/// and errors naming the URL after retries. A real HTTP server on loopback counts the requests.
@Suite struct RemoteMetadataTests {
    /// A testbed whose `remote` repository is the fixture repository served over HTTP with
    /// the given `.repo` lines.
    private func testbed(server: LoopbackHTTPServer, lines: String) throws -> ComposeTestbed {
        let testbed = try ComposeTestbed()
        try "[remote]\nname=remote\n\(lines)\nenabled=1\ngpgcheck=0\n"
            .write(toFile: testbed.directory + "/remote.repo", atomically: true, encoding: .utf8)
        try """
            ref: fixture/remote
            base: base.tar.gz
            repos: [remote]
            packages: [fixture-app]
            """.write(toFile: testbed.treefilePath, atomically: true, encoding: .utf8)
        return testbed
    }

    private func compose(_ testbed: ComposeTestbed) throws -> ComposeResult {
        var options = ComposeOptions(repository: testbed.repository, cacheDirectory: testbed.cacheDirectory)
        options.forceNoCache = true
        return try Composer(options: options).compose(treefilePath: testbed.treefilePath)
    }

    @Test func freshMetadataIsNotFetchedAgainUntilItExpires() throws {
        let server = try LoopbackHTTPServer(directory: try FixtureRepository.shared().directory)
        defer { server.stop() }
        let testbed = try testbed(server: server, lines: "baseurl=\(server.url)/\nmetadata_expire=10m")
        let repomd = { server.requests.filter { $0 == "/repodata/repomd.xml" }.count }
        let first = try compose(testbed)
        #expect(repomd() == 1)
        #expect(first.packages.contains("fixture-lib-1.0-1.noarch"))
        let packagesFetched = server.requests.filter { $0.hasSuffix(".rpm") }.count
        #expect(packagesFetched == first.packages.count)

        let second = try compose(testbed)
        #expect(repomd() == 1, "fresh: no metadata request (\(server.requests))")
        #expect(second.packages == first.packages)
        #expect(server.requests.filter { $0.hasSuffix(".rpm") }.count == packagesFetched, "packages come from the cache")

        // The same repository with a metadata_expire its metadata is older than.
        try "[remote]\nname=remote\nbaseurl=\(server.url)/\nmetadata_expire=1\nenabled=1\ngpgcheck=0\n"
            .write(toFile: testbed.directory + "/remote.repo", atomically: true, encoding: .utf8)
        sleep(2)
        _ = try compose(testbed)
        #expect(repomd() == 2, "after metadata_expire, fetched again")
    }

    @Test func aMirrorListNamesWhereMetadataAndPackagesComeFrom() throws {
        let root = try TemporaryDirectory(prefix: "mirrors-", in: ProcessScratchDirectory.path())
        defer { root.remove() }
        try FileManager.default.createSymbolicLink(atPath: root.path + "/fedora", withDestinationPath: try FixtureRepository.shared().directory)
        let server = try LoopbackHTTPServer(directory: root.path)
        defer { server.stop() }
        try "\(server.url)/fedora/\n".write(toFile: root.path + "/mirrors.txt", atomically: true, encoding: .utf8)
        let testbed = try testbed(server: server, lines: "mirrorlist=\(server.url)/mirrors.txt")
        let result = try compose(testbed)
        #expect(result.packages.contains("fixture-app-2.0-1.noarch"))
        #expect(server.requests.filter { $0 != "/" }.first == "/mirrors.txt", "the server's own probe aside")
        #expect(server.requests.contains("/fedora/repodata/repomd.xml"))
        #expect(server.requests.contains { $0.hasPrefix("/fedora/") && $0.hasSuffix(".rpm") })
    }

    @Test func anUnreachableRepositoryIsNamedAfterRetries() throws {
        let port = try LoopbackPort.free()
        let testbed = try ComposeTestbed()
        try "[remote]\nbaseurl=http://127.0.0.1:\(port)/repo/\ngpgcheck=0\n"
            .write(toFile: testbed.directory + "/remote.repo", atomically: true, encoding: .utf8)
        try "ref: fixture/remote\nbase: base.tar.gz\nrepos: [remote]\npackages: [fixture-app]\n"
            .write(toFile: testbed.treefilePath, atomically: true, encoding: .utf8)
        let started = Date()
        let error = #expect(throws: (any Error).self) { try compose(testbed) }
        let message = "\(error.map { "\($0)" } ?? "")"
        #expect(message.contains("remote.repo: repository 'remote' (http://127.0.0.1:\(port)/repo/)"), "\(message)")
        #expect(!message.contains("\n"))
        #expect(Date().timeIntervalSince(started) >= 3, "tried three times, 1 s then 2 s apart")
        #expect(try testbed.refs().isEmpty)
    }
}
