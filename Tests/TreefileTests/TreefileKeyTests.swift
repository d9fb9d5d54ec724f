import Testing
import Treefile

/// Per-file key handling: the YAML-vs-JSON unknown-key rule, legacy spellings, types, our
/// `base:` key, and what the merged treefile reports.
@Suite struct TreefileKeyTests {
    @Test func unknownKeyInYAMLIsAnError() throws {
        let fixture = try TreefileFixture()
        try fixture.write("manifest.yaml", "ref: r\npakages: [bash]\n")
        let error = fixture.loadError("manifest.yaml")
        #expect(error?.kind == .unknownKey)
        #expect(error?.description == "manifest.yaml: unknown key 'pakages'")
    }

    @Test func unknownKeyInJSONIsIgnored() throws {
        let fixture = try TreefileFixture()
        try fixture.write("manifest.json", #"{"ref": "r", "00packages-comment": "hi", "packages": ["bash"]}"#)
        let treefile = try fixture.load("manifest.json")
        #expect(treefile.packages == ["bash"])
        #expect(!(try treefile.flattenedJSON().contains("comment")))
    }

    @Test func legacySnakeCaseKeysAreRenamed() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", """
            boot_location: new
            automatic_version_prefix: "38"
            default_target: graphical.target
            gpg_key: ABCD
            """)
        let treefile = try fixture.load("a.yaml")
        #expect(treefile.bootLocation == "new")
        #expect(treefile.automaticVersionPrefix == "38")
        let json = try treefile.flattenedJSON()
        #expect(json.contains("\"default-target\": \"graphical.target\""))
        #expect(json.contains("\"gpg-key\": \"ABCD\""))
        #expect(!json.contains("default_target"))
    }

    @Test func givingBothSpellingsOfAKeyIsAnError() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", "boot_location: new\nboot-location: modules\n")
        let error = fixture.loadError("a.yaml")
        #expect(error?.kind == .invalidValue)
        #expect(error?.description == "a.yaml: both 'boot_location' and 'boot-location' are set; keep only 'boot-location'")
    }

    @Test(arguments: [
        ("packages: vim", "key 'packages' must be a list of strings"),
        ("recommends: \"false\"", "key 'recommends' must be a boolean"),
        ("ref: 40", "key 'ref' must be a string"),
        ("releasever: 9.4", "key 'releasever' must be a string or a non-negative integer"),
        ("boot-location: legacy", "key 'boot-location' must be one of 'new', 'modules', 'kernel-install'"),
        ("edition: 2024", "key 'edition' must be one of '2014', '2024'"),
        ("add-files: [[only-source]]", "key 'add-files' must be a list of [source, destination] pairs of strings"),
        ("include: {file: x}", "key 'include' must be a string or a list of strings"),
        ("packages-x86_64: bash", "key 'packages-x86_64' must be a list of strings"),
        ("documentation: yes", "key 'documentation' must be a boolean"),
        ("check-passwd: {type: file}", "key 'check-passwd' must be a mapping whose 'type' is none, previous, file (with a 'filename') or data (with 'entries' of ids)"),
    ])
    func wrongTypeNamesTheKeyAndTheFile(line: String, message: String) throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", line + "\n")
        let error = fixture.loadError("a.yaml")
        #expect(error?.kind == .wrongType)
        #expect(error?.description == "a.yaml: " + message)
    }

    @Test func wrongTypeInJSONIsAnErrorToo() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.json", #"{"repos": "fedora"}"#)
        #expect(fixture.loadError("a.json")?.description == "a.json: key 'repos' must be a list of strings")
    }

    @Test func nullIsTheSameAsUnset() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", "include: b.yaml\npackages:\nref: ~\n")
        try fixture.write("b.yaml", "packages: [bash]\nref: from-b\n")
        let treefile = try fixture.load("a.yaml")
        #expect(treefile.packages == ["bash"])
        #expect(treefile.ref == "from-b")
    }

    @Test func emptyRefIsRejected() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", "ref: \"\"\n")
        #expect(fixture.loadError("a.yaml")?.description == "a.yaml: key 'ref' must not be empty")
    }

    @Test(arguments: ["", "--", "é"])
    func automaticVersionSuffixMustBeOneASCIICharacter(suffix: String) throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", "automatic-version-suffix: \"\(suffix)\"\n")
        #expect(fixture.loadError("a.yaml")?.kind == .invalidValue)
    }

    @Test func baseArchiveIsResolvedBesideTheFileThatNamesIt() throws {
        let fixture = try TreefileFixture()
        try fixture.write("root.yaml", "include: images/base.yaml\n")
        try fixture.write("images/base.yaml", "base: rootfs.tar.zst\n")
        try fixture.write("images/rootfs.tar.zst", "not really zstd")
        let treefile = try fixture.load("root.yaml")
        #expect(treefile.base == .archive(path: fixture.path("images/rootfs.tar.zst")))
        #expect(treefile.externalFiles.contains(fixture.path("images/rootfs.tar.zst")))
    }

    @Test func missingBaseArchiveIsAnError() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", "base: rootfs.tar.gz\n")
        let error = fixture.loadError("a.yaml")
        #expect(error?.kind == .missingFile)
        #expect(error?.description == "a.yaml: base archive 'rootfs.tar.gz' not found")
    }

    @Test func baseThatIsNotAnArchiveIsAnOSTreeRef() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", "include: b.yaml\nbase: debian/12/x86_64/base\n")
        try fixture.write("b.yaml", "base: other.tar\n")
        try fixture.write("other.tar", "")
        #expect(try fixture.load("a.yaml").base == .ostreeRef("debian/12/x86_64/base"))
    }

    @Test func unimplementedKeysListsWhatTheComposeIgnores() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", """
            ref: r
            selinux: false
            ostree-layers: [overlay/05core]
            rojig: {name: n, summary: s, license: MIT}
            metadata: {name: x}
            """)
        #expect(try fixture.load("a.yaml").unimplementedKeys == ["ostree-layers", "rojig", "selinux"])
    }

    @Test func flattenedJSONIsSortedAndDeterministic() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", """
            ref: r
            releasever: 40
            variables: {prod: false, stream: "a \\"quoted\\"\\ttab"}
            selinux: false
            packages: [zsh, bash]
            """)
        let first = try fixture.load("a.yaml").flattenedJSON()
        #expect(first == (try fixture.load("a.yaml").flattenedJSON()))
        #expect(first == """
            {
              "basearch": "x86_64",
              "packages": [
                "bash",
                "zsh"
              ],
              "ref": "r",
              "releasever": 40,
              "selinux": false,
              "variables": {
                "basearch": "x86_64",
                "prod": false,
                "releasever": 40,
                "stream": "a \\"quoted\\"\\ttab"
              }
            }

            """)
    }

    @Test func containerTrueForcesItsSettingsInThatFile() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", "container: true\nboot-location: new\n")
        let treefile = try fixture.load("a.yaml")
        #expect(treefile.bootLocation == "modules")
        let json = try treefile.flattenedJSON()
        #expect(json.contains("\"selinux\": false"))
        #expect(json.contains("\"tmp-is-dir\": true"))
    }

    @Test func edition2024ChangesDefaultsOnly() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", "edition: \"2024\"\ntmp-is-dir: false\n")
        let treefile = try fixture.load("a.yaml")
        #expect(treefile.bootLocation == "modules")
        #expect(try treefile.flattenedJSON().contains("\"tmp-is-dir\": false"))
    }

    @Test func clientSideKeysAreRejected() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", "override-remove: [nano]\n")
        #expect(fixture.loadError("a.yaml")?.kind == .unsupported)
    }

    @Test func crossArchitectureComposeIsRejected() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", "basearch: aarch64\n")
        #expect(fixture.loadError("a.yaml")?.kind == .invalidValue)
        #expect(try fixture.load("a.yaml", basearch: "aarch64").variables["basearch"] == .string("aarch64"))
    }

    @Test func topLevelMustBeAMapping() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", "manifest-rhel-9.8.yaml")
        let error = fixture.loadError("a.yaml")
        #expect(error?.kind == .syntax)
        #expect(error?.description == "a.yaml: a treefile must be a mapping of keys to values, not a string")
    }

    @Test func invalidYAMLAndJSONAreSyntaxErrors() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", "packages: [bash\n")
        #expect(fixture.loadError("a.yaml")?.kind == .syntax)
        try fixture.write("b.yaml", "ref: a\nref: b\n")
        #expect(fixture.loadError("b.yaml")?.kind == .syntax)
        try fixture.write("c.json", "{\"ref\": }")
        #expect(fixture.loadError("c.json")?.kind == .syntax)
        try fixture.write("d.json", "")
        #expect(fixture.loadError("d.json")?.kind == .syntax)
    }
}
