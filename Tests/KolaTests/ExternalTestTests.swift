import Foundation
@testable import Kola
import TestSupport
import Testing

@Suite struct ExternalTestTests {
    /// A project laid out as kola expects upstream: `tests/kola`, with every kind of entry.
    private func project(_ fixture: KolaFixtureDirectory) throws {
        try fixture.script("proj/tests/kola/basic/noop",
            #"# kola: { "tags": "needs-internet smoke", "timeoutMin": 8, "exclusive": false, "description": "noop" }"#)
        try fixture.script("proj/tests/kola/yaml-meta",
            "set -xeuo pipefail",
            "## kola:",
            "##   additionalDisks: [\"5G\", \"1G\"]",
            "##   minMemory: 4096  # MiB",
            "##   appendKernelArgs: enforcing=0",
            "##   architectures: x86_64",
            "##   platforms: qemu",
            "# not YAML any more",
            "##   exclusive: false")
        try fixture.script("proj/tests/kola/ignition/test.sh")
        try fixture.write("proj/tests/kola/ignition/kola.json", #"{ "minMemory": 3072, "tags": "ign" }"#)
        try fixture.write("proj/tests/kola/ignition/config.bu", "variant: fcos\nversion: 1.4.0\n")
        try fixture.script("proj/tests/kola/ignition/data/helper.sh")
        try fixture.write("proj/tests/kola/ignition/README.md", "not a test\n")
        try fixture.script("proj/tests/kola/multi/test.sh")
        try fixture.script("proj/tests/kola/multi/second", #"# kola: { "minMemory": 2048 }"#)
        try fixture.write("proj/tests/kola/multi/kola.json", #"{ "timeoutMin": 5 }"#)
        try fixture.write("proj/tests/kola/nested/kola.json", #"{ "exclusive": false }"#)
        try fixture.script("proj/tests/kola/nested/deeper/check")
        try fixture.write("proj/tests/kola/nested/owner-only", "#!/bin/bash\ntrue\n", mode: 0o744)
        try fixture.write("proj/tests/kola/notes.txt", "#!/bin/bash\n")
        try fixture.script("proj/not-under-tests-kola")
    }

    private func test(_ tests: [ExternalTest], _ name: String) throws -> ExternalTest {
        try #require(tests.first { $0.name == name }, "no test \(name) in \(tests.map(\.name))")
    }

    @Test func testsAreNamedAsKolaNamesThem() throws {
        let fixture = try KolaFixtureDirectory()
        try project(fixture)
        let tests = try ExternalTestDiscovery.discover(in: "\(fixture.path)/proj").tests
        #expect(tests.map(\.name) == [
            "ext.proj.basic.noop",
            "ext.proj.ignition",
            "ext.proj.multi.second",
            "ext.proj.multi.test.sh",
            "ext.proj.nested.deeper.check",
            "ext.proj.yaml-meta",
        ])
        let ignition = try test(tests, "ext.proj.ignition")
        #expect(ignition.executable == "\(fixture.path)/proj/tests/kola/ignition/test.sh")
        #expect(ignition.directory == "\(fixture.path)/proj/tests/kola/ignition")
        #expect(ignition.dataDirectory == "\(fixture.path)/proj/tests/kola/ignition/data")
        #expect(ignition.ignitionConfig == "\(fixture.path)/proj/tests/kola/ignition/config.bu")
        #expect(try test(tests, "ext.proj.basic.noop").dataDirectory == nil)
    }

    @Test func projectNameCanBeGivenAndTestsCanLiveInTheDirectoryItselfForTheCheckoutsOwn() throws {
        let fixture = try KolaFixtureDirectory()
        try fixture.script("kola-like/read-only-usr/test.sh")
        try fixture.script("kola-like/top")
        let ownName = try ExternalTestDiscovery.discover(in: "\(fixture.path)/kola-like/", layout: .testsDirectory).tests
        #expect(ownName.map(\.name) == ["ext.kola-like.read-only-usr", "ext.kola-like.top"])
        let renamed = try ExternalTestDiscovery.discover(in: "\(fixture.path)/kola-like", projectName: "config", layout: .testsDirectory).tests
        #expect(renamed.map(\.name) == ["ext.config.read-only-usr", "ext.config.top"])
    }

    @Test func inlineJSONMetadataIsRead() throws {
        let fixture = try KolaFixtureDirectory()
        try project(fixture)
        let noop = try test(try ExternalTestDiscovery.discover(in: "\(fixture.path)/proj").tests, "ext.proj.basic.noop")
        #expect(noop.metadata == ExternalTestMetadata(
            tags: ["needs-internet", "smoke"], timeoutMinutes: 8, exclusive: false, description: "noop"))
    }

    @Test func inlineYAMLMetadataEndsAtTheFirstLineNotStartingWithHashes() throws {
        let fixture = try KolaFixtureDirectory()
        try project(fixture)
        let test = try test(try ExternalTestDiscovery.discover(in: "\(fixture.path)/proj").tests, "ext.proj.yaml-meta")
        #expect(test.metadata == ExternalTestMetadata(
            minMemoryMiB: 4096, additionalDisks: ["5G", "1G"], appendKernelArgs: "enforcing=0",
            exclusive: true, architectures: KolaScope(names: ["x86_64"]), platforms: KolaScope(names: ["qemu"])))
    }

    @Test func kolaJSONAppliesOnlyToTestsWithoutInlineMetadataInItsOwnDirectory() throws {
        let fixture = try KolaFixtureDirectory()
        try project(fixture)
        let tests = try ExternalTestDiscovery.discover(in: "\(fixture.path)/proj").tests
        #expect(try test(tests, "ext.proj.ignition").metadata == ExternalTestMetadata(tags: ["ign"], minMemoryMiB: 3072))
        // Inline metadata replaces kola.json as a whole: no timeoutMin from multi/kola.json.
        #expect(try test(tests, "ext.proj.multi.second").metadata == ExternalTestMetadata(minMemoryMiB: 2048))
        #expect(try test(tests, "ext.proj.multi.test.sh").metadata == ExternalTestMetadata(timeoutMinutes: 5))
        // nested/kola.json says exclusive: false, but not for nested/deeper.
        #expect(try test(tests, "ext.proj.nested.deeper.check").metadata.exclusive)
    }

    @Test func defaultsAreKolas() {
        let metadata = ExternalTestMetadata()
        #expect(metadata.exclusive)
        #expect(metadata.tags.isEmpty && metadata.additionalDisks.isEmpty && metadata.ignoredKeys.isEmpty)
        #expect(metadata.timeoutMinutes == nil && metadata.minMemoryMiB == nil)
    }

    @Test func badJSONInKolaJSONNamesTheFile() throws {
        let fixture = try KolaFixtureDirectory()
        try fixture.script("suite/one/test.sh")
        let file = try fixture.write("suite/one/kola.json", #"{ minMemory: 4096 }"#)
        let error = try #require(throws: KolaFileError.self) {
            try ExternalTestDiscovery.discover(in: "\(fixture.path)/suite", layout: .testsDirectory).tests
        }
        #expect(error.file == file)
        #expect(error.message == "invalid JSON: Invalid value around character 2.")
    }

    @Test func anUnknownKeyIsAnErrorNamingTheFileAndTheKey() throws {
        let fixture = try KolaFixtureDirectory()
        let file = try fixture.script("suite/typo", #"# kola: { "timeout": 5 }"#)
        let error = try #require(throws: KolaFileError.self) {
            try ExternalTestDiscovery.discover(in: "\(fixture.path)/suite", layout: .testsDirectory).tests
        }
        #expect(error.file == file)
        #expect(error.message == "unknown key 'timeout'")
    }

    @Test func aValueOfTheWrongTypeIsAnError() throws {
        let fixture = try KolaFixtureDirectory()
        // kola's tags are one whitespace-separated string, not a list.
        let file = try fixture.script("suite/tags", "## kola:", "##   tags: [a, b]")
        let error = try #require(throws: KolaFileError.self) {
            try ExternalTestDiscovery.discover(in: "\(fixture.path)/suite", layout: .testsDirectory).tests
        }
        #expect(error.file == file)
        #expect(error.message == "'tags' must be a string")
    }

    @Test func badInlineYAMLIsAnErrorOnOneLine() throws {
        let fixture = try KolaFixtureDirectory()
        let file = try fixture.script("suite/bad", "## kola:", "##   tags: [unclosed", "##   exclusive: false")
        let error = try #require(throws: KolaFileError.self) {
            try ExternalTestDiscovery.discover(in: "\(fixture.path)/suite", layout: .testsDirectory).tests
        }
        #expect(error.file == file)
        #expect(error.message.hasPrefix("invalid YAML"))
        #expect(!error.description.contains("\n"))
    }

    @Test func anUnknownKeyInKolaJSONIsAnErrorEvenWhenNoTestUsesIt() throws {
        let fixture = try KolaFixtureDirectory()
        try fixture.script("suite/one/test.sh", #"# kola: { "exclusive": false }"#)
        let file = try fixture.write("suite/one/kola.json", #"{ "exclusiv": false }"#)
        let error = try #require(throws: KolaFileError.self) {
            try ExternalTestDiscovery.discover(in: "\(fixture.path)/suite", layout: .testsDirectory).tests
        }
        #expect(error == KolaFileError(file: file, "unknown key 'exclusiv'"))
    }

    @Test func jsonRightAfterAYAMLBlockIsAnError() throws {
        let fixture = try KolaFixtureDirectory()
        let file = try fixture.script("suite/both", "## kola:", "##   exclusive: false", #"# kola: { "exclusive": true }"#)
        let error = try #require(throws: KolaFileError.self) {
            try ExternalTestDiscovery.discover(in: "\(fixture.path)/suite", layout: .testsDirectory).tests
        }
        #expect(error.file == file)
        #expect(error.message.contains("both"))
    }

    @Test func aYAMLBlockAtTheEndOfTheFileIsRead() throws {
        let fixture = try KolaFixtureDirectory()
        try fixture.write("suite/last", "#!/bin/bash\n## kola:\n##   exclusive: false\n", mode: 0o755)
        let tests = try ExternalTestDiscovery.discover(in: "\(fixture.path)/suite", layout: .testsDirectory).tests
        #expect(tests.map(\.metadata.exclusive) == [false])
    }

    @Test func twoTestsWithOneNameAreAnError() throws {
        let fixture = try KolaFixtureDirectory()
        try fixture.script("suite/dup/test.sh")
        try fixture.script("suite/dup.x")
        try fixture.script("suite/dup/x")
        let error = try #require(throws: KolaFileError.self) {
            try ExternalTestDiscovery.discover(in: "\(fixture.path)/suite", layout: .testsDirectory).tests
        }
        #expect(error.message.contains("'ext.suite.dup.x'"))
    }
}
