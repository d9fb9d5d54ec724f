import Foundation
import TestSupport
import Testing
import ToolSupport

/// `override replace|remove|reset` and `db diff` on a sysroot whose base has fixture-app 1.0.
@Suite struct OverrideTests {
    @Test func replaceThenResetBringsTheBaseVersionBack() throws {
        let sysroot = try ClientSysroot(ref: "test/full")
        let replace = try sysroot.succeed("override", "replace", sysroot.server.packages.rpmPath("fixture-app-2.0-1.noarch"))
        #expect(replace.stdout.contains("~ fixture-app-1.0-1.noarch -> fixture-app-2.0-1.noarch"))
        #expect(try sysroot.file("/usr/share/fixture/app-version") == "2.0\n")
        #expect(try sysroot.packages().contains("fixture-app-2.0-1.noarch"))
        #expect(try sysroot.packages().contains("fixture-app-1.0-1.noarch") == false)
        let replaced = try #require(try sysroot.deployments().first)
        #expect(replaced["base-local-replacements"] as? [String] == ["fixture-app-2.0-1.noarch"])

        try sysroot.succeed("override", "reset", "fixture-app")
        #expect(try sysroot.file("/usr/share/fixture/app-version") == "1.0\n")
        #expect(try sysroot.packages().contains("fixture-app-1.0-1.noarch"))
        let reset = try #require(try sysroot.deployments().first)
        #expect(reset["checksum"] as? String == sysroot.server.full)
    }

    @Test func removeThenResetAll() throws {
        let sysroot = try ClientSysroot(ref: "test/full")
        try sysroot.succeed("override", "remove", "fixture-base-files")
        #expect(try sysroot.file("/usr/share/fixture/base.txt") == nil, "the removed package's files go")
        #expect(try sysroot.file("/usr/share/fixture/app-version") == "1.0\n", "a directory another package uses stays")
        #expect(try sysroot.packages().contains { $0.hasPrefix("fixture-base-files-") } == false)
        #expect(try sysroot.deployments().first?["base-removals"] as? [String] == ["fixture-base-files"])
        try sysroot.succeed("override", "reset", "--all")
        #expect(try sysroot.file("/usr/share/fixture/base.txt") != nil)
        #expect(try sysroot.deployments().first?["base-removals"] as? [String] == [])
    }

    @Test func dbDiffNamesAddedRemovedAndChangedPackages() throws {
        let sysroot = try ClientSysroot(ref: "test/full")
        try sysroot.succeed("override", "replace", sysroot.server.packages.rpmPath("fixture-app-2.0-1.noarch"))
        try sysroot.succeed("override", "remove", "fixture-base-files")
        try sysroot.succeed("install", "fixture-post")
        let text = try sysroot.succeed("db", "diff", sysroot.server.full, "0").stdout
        #expect(text.contains("+ fixture-post-1.0-1.noarch"))
        #expect(text.contains("- fixture-base-files-1.0-1.noarch"))
        #expect(text.contains("~ fixture-app-1.0-1.noarch -> fixture-app-2.0-1.noarch"))
        #expect(!text.contains("fixture-lib"), "unchanged packages are not listed")

        let json = try sysroot.succeed("db", "diff", "--json", sysroot.server.full, "0").stdout
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(document["added"] as? [String] == ["fixture-post-1.0-1.noarch"])
        #expect(document["removed"] as? [String] == ["fixture-base-files-1.0-1.noarch"])
        #expect(document["changed"] as? [[String: String]] == [["from": "fixture-app-1.0-1.noarch", "to": "fixture-app-2.0-1.noarch"]])

        // With no revisions: what the last change did (the previous deployment to the default).
        let last = try sysroot.succeed("db", "diff").stdout
        #expect(last.contains("+ fixture-post-1.0-1.noarch"))
        #expect(!last.contains("fixture-app"))
    }
}
