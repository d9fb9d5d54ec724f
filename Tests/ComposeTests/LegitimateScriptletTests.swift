import Compose
import Foundation
import TestSupport
import Testing
import ToolSupport

/// What real packages' scriptlets do keeps working inside the sandbox: adding a user with
/// shadow's `useradd`, giving it files, setting a setuid bit, and replacing a file that another
/// package owns; while the package cache keeps its own copy of that file.
@Suite struct LegitimateScriptletTests {
    @Test func useraddChownSetuidAndReplacingAnotherPackagesFileWork() throws {
        let owner = TestPackage("owner", install: ["mkdir -p %{buildroot}/usr/share/owned",
                                                   "echo 'vendor default' > %{buildroot}/usr/share/owned/config"],
                                files: ["/usr/share/owned"])
        let legit = TestPackage("legit", install: [
            "mkdir -p %{buildroot}/usr/libexec/legit %{buildroot}/usr/share/legit",
            "printf '#!/bin/sh\\ntrue\\n' > %{buildroot}/usr/libexec/legit/tool", "chmod 0755 %{buildroot}/usr/libexec/legit/tool",
            "echo data > %{buildroot}/usr/share/legit/data",
        ], files: ["/usr/libexec/legit", "/usr/share/legit"], post: """
            set -e
            useradd --system --no-create-home --home-dir /nonexistent --shell /sbin/nologin legituser
            chown legituser:legituser /usr/share/legit/data
            chmod u+s /usr/libexec/legit/tool
            echo 'replaced by legit' > /usr/share/owned/config
            """, requires: ["owner"])
        let directory = try ProcessScratchDirectory.path() + "/legit-" + UUID().uuidString
        let testbed = try ComposeTestbed(packages: TestPackage.repository([owner, legit], in: directory))
        try FixtureBase.writeArchive(to: testbed.directory + "/base.tar.gz", hostPrograms: ["/usr/sbin/useradd"])
        try testbed.writeTreefile(packages: ["owner", "legit"])
        let tree = try testbed.checkout(testbed.compose().commit)

        let passwd = try String(contentsOfFile: tree + "/usr/etc/passwd", encoding: .utf8)
        let entry = try #require(passwd.split(separator: "\n").first { $0.hasPrefix("legituser:") })
        let uid = try #require(Int(entry.split(separator: ":")[2]))
        let data = try FileManager.default.attributesOfItem(atPath: tree + "/usr/share/legit/data")
        #expect(data[.ownerAccountID] as? Int == uid)
        let tool = try FileManager.default.attributesOfItem(atPath: tree + "/usr/libexec/legit/tool")
        #expect(tool[.posixPermissions] as? Int == 0o4755)
        #expect(try String(contentsOfFile: tree + "/usr/share/owned/config", encoding: .utf8) == "replaced by legit\n")

        #expect(try testbed.packageCacheIsValid())
        try testbed.writeTreefile(packages: ["owner"], ref: "fixture/owner-alone")
        let alone = try testbed.checkout(testbed.compose().commit)
        #expect(try String(contentsOfFile: alone + "/usr/share/owned/config", encoding: .utf8) == "vendor default\n")
    }
}
