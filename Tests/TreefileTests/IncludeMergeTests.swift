import Testing
import Treefile

/// `include`, `arch-include` and `conditional-include` walk order and the merge rules of
/// treefile-includes.md §2: with F including A then B, and C a matching conditional include,
/// scalars resolve F > A > B > C and lists come out C, B, A, F.
@Suite struct IncludeMergeTests {
    /// F includes A and B, and conditionally C; each sets the keys named after it.
    private func fourFiles() throws -> TreefileFixture {
        let fixture = try TreefileFixture()
        try fixture.write("f.yaml", """
            include: [a.yaml, b.yaml]
            conditional-include:
              - if: basearch == "x86_64"
                include: c.yaml
            automatic-version-prefix: F
            postprocess: [F]
            repos: [repo-f]
            packages: [common, only-f]
            metadata: {owner: F}
            """)
        try fixture.write("a.yaml", """
            ref: A
            automatic-version-prefix: A
            postprocess: [A]
            repos: [repo-a]
            packages: [common, only-a]
            metadata: {owner: A, from-a: A, shared: A}
            """)
        try fixture.write("b.yaml", """
            ref: B
            automatic-version-prefix: B
            boot-location: new
            postprocess: [B]
            packages: [only-b]
            metadata: {shared: B, from-b: B}
            """)
        try fixture.write("c.yaml", """
            ref: C
            automatic-version-prefix: C
            boot-location: modules
            mutate-os-release: C
            postprocess: [C]
            repos: [repo-c]
            metadata: {from-c: C, shared: C}
            """)
        return fixture
    }

    @Test func scalarsTakeTheIncludingFileThenTheFirstIncludeProcessed() throws {
        let fixture = try fourFiles()
        let treefile = try fixture.load("f.yaml")
        #expect(treefile.automaticVersionPrefix == "F")
        #expect(treefile.ref == "A")
        #expect(treefile.bootLocation == "new")
        #expect(try treefile.flattenedJSON().contains("\"mutate-os-release\": \"C\""))
    }

    @Test func arraysPutEachIncludeBeforeWhatIsAlreadyThere() throws {
        let treefile = try fourFiles().load("f.yaml")
        #expect(treefile.postprocess == ["C", "B", "A", "F"])
        #expect(treefile.repos == ["repo-c", "repo-a", "repo-f"])
    }

    @Test func packagesAreASortedUnion() throws {
        let treefile = try fourFiles().load("f.yaml")
        #expect(treefile.packages == ["common", "only-a", "only-b", "only-f"])
    }

    @Test func mapsMergeKeyByKeyWithTheIncludingFileWinning() throws {
        let treefile = try fourFiles().load("f.yaml")
        #expect(treefile.metadata == [
            "owner": .string("F"), "from-a": .string("A"), "from-b": .string("B"),
            "from-c": .string("C"), "shared": .string("A"),
        ])
    }

    @Test func nestedIncludesComeBeforeTheirIncluderAndAfterLaterSiblings() throws {
        let fixture = try TreefileFixture()
        try fixture.write("f.yaml", "include: [a.yaml, b.yaml]\npostprocess: [F]\n")
        try fixture.write("a.yaml", "include: sub/a1.yaml\npostprocess: [A]\n")
        try fixture.write("sub/a1.yaml", "postprocess: [A1]\n")
        try fixture.write("b.yaml", "postprocess: [B]\n")
        #expect(try fixture.load("f.yaml").postprocess == ["B", "A1", "A", "F"])
    }

    @Test func inlineConditionalIncludeIsMergedBeforeFileIncludes() throws {
        let fixture = try TreefileFixture()
        try fixture.write("f.yaml", """
            include: a.yaml
            conditional-include:
              - if: basearch == "x86_64"
                include:
                  ref: inline
                  postprocess: [inline]
                  packages: ["two words"]
            postprocess: [F]
            """)
        try fixture.write("a.yaml", "ref: A\npostprocess: [A]\n")
        let treefile = try fixture.load("f.yaml")
        #expect(treefile.ref == "inline")
        #expect(treefile.postprocess == ["A", "inline", "F"])
        // Inline treefiles skip the per-file steps: their packages are not split.
        #expect(treefile.packages == ["two words"])
    }

    @Test func inlineTreefileIgnoresUnknownKeysEvenInYAML() throws {
        let fixture = try TreefileFixture()
        try fixture.write("f.yaml", """
            conditional-include:
              - if: basearch == "x86_64"
                include: {repos: [extra], not-a-key: 1, packages-x86_64: [ignored]}
            """)
        let treefile = try fixture.load("f.yaml")
        #expect(treefile.repos == ["extra"])
        #expect(treefile.packages.isEmpty)
    }

    @Test func containerCmdIsReplacedWholeAndPlatformModuleIsNeverInherited() throws {
        let fixture = try TreefileFixture()
        try fixture.write("f.yaml", "include: a.yaml\ncontainer-cmd: [/bin/sh]\n")
        try fixture.write("a.yaml", "container-cmd: [/usr/bin/bash, -l]\nplatform-module: platform:f40\n")
        let json = try fixture.load("f.yaml").flattenedJSON()
        #expect(json.contains("\"container-cmd\": [\n    \"/bin/sh\"\n  ]"))
        #expect(!json.contains("platform-module"))
    }

    @Test func repoPackagesKeepEachPackageInItsLastEntry() throws {
        let fixture = try TreefileFixture()
        try fixture.write("f.yaml", """
            include: a.yaml
            repo-packages:
              - repo: updates
                packages: [kernel]
            """)
        try fixture.write("a.yaml", """
            repo-packages:
              - repo: base
                packages: [kernel, 'glibc bash']
              - repo: gone
                packages: [kernel]
            """)
        let json = try fixture.load("f.yaml").flattenedJSON()
        #expect(json.contains("""
              "repo-packages": [
                {
                  "packages": [
                    "bash",
                    "glibc"
                  ],
                  "repo": "base"
                },
                {
                  "packages": [
                    "kernel"
                  ],
                  "repo": "updates"
                }
              ]
            """))
    }

    @Test(arguments: [("x86_64", ["from-x86"]), ("aarch64", ["from-arm"]), ("s390x", [])])
    func archIncludeTakesTheComposeArchAfterInclude(basearch: String, expected: [String]) throws {
        let fixture = try TreefileFixture()
        try fixture.write("f.yaml", """
            include: common.yaml
            arch-include:
              x86_64: x86.yaml
              aarch64: [arm.yaml]
            postprocess: [F]
            """)
        try fixture.write("common.yaml", "postprocess: [common]\n")
        try fixture.write("x86.yaml", "postprocess: [from-x86]\n")
        try fixture.write("arm.yaml", "postprocess: [from-arm]\n")
        #expect(try fixture.load("f.yaml", basearch: basearch).postprocess == expected + ["common", "F"])
    }

    @Test func archPackagesAreFoldedIntoPackagesForTheComposeArchOnly() throws {
        let fixture = try TreefileFixture()
        try fixture.write("f.yaml", """
            packages: [bash]
            packages-x86_64: [irqbalance, 'crun-wasm wasmedge-rt']
            packages-aarch64: [qemu-user-static-x86]
            """)
        #expect(try fixture.load("f.yaml").packages == ["bash", "crun-wasm", "irqbalance", "wasmedge-rt"])
        #expect(try fixture.load("f.yaml", basearch: "aarch64").packages == ["bash", "qemu-user-static-x86"])
        #expect(!(try fixture.load("f.yaml").flattenedJSON().contains("packages-")))
    }

    @Test func packageEntriesSplitOnWhitespaceUnlessSingleQuoted() throws {
        let fixture = try TreefileFixture()
        try fixture.write("f.yaml", """
            packages:
              - nano  nano-default-editor
              - "'podman >= 4.1' skopeo"
              - 'dnf-command(versionlock)'
            """)
        #expect(try fixture.load("f.yaml").packages
                == ["dnf-command(versionlock)", "nano", "nano-default-editor", "podman >= 4.1", "skopeo"])
    }

    @Test func unterminatedQuoteInPackagesIsAnError() throws {
        let fixture = try TreefileFixture()
        try fixture.write("f.yaml", "packages: [\"'podman >= 4.1\"]\n")
        let error = fixture.loadError("f.yaml")
        #expect(error?.kind == .invalidValue)
        #expect(error?.description == "f.yaml: key 'packages': missing terminating quote in ''podman >= 4.1'")
    }

    @Test func includingAFileTwiceIsALoop() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", "include: b.yaml\n")
        try fixture.write("b.yaml", "include: a.yaml\n")
        let error = fixture.loadError("a.yaml")
        #expect(error?.kind == .includeLoop)
        #expect(error?.description == "Include loop detected; a.yaml was already included")
    }

    @Test func diamondIncludesAreRejectedToo() throws {
        let fixture = try TreefileFixture()
        try fixture.write("top.yaml", "include: [left.yaml, right.yaml]\n")
        try fixture.write("left.yaml", "include: shared.yaml\n")
        try fixture.write("right.yaml", "include: shared.yaml\n")
        try fixture.write("shared.yaml", "packages: [bash]\n")
        #expect(fixture.loadError("top.yaml")?.description == "Include loop detected; shared.yaml was already included")
    }

    @Test func commentsOnlyIncludeIsEmpty() throws {
        let fixture = try TreefileFixture()
        try fixture.write("f.yaml", "include: overrides.yaml\nref: r\n")
        try fixture.write("overrides.yaml", "# Nothing to override right now.\n# packages: [foo]\n")
        let treefile = try fixture.load("f.yaml")
        #expect(treefile.ref == "r")
        #expect(treefile.externalFiles == [fixture.path("f.yaml"), fixture.path("overrides.yaml")])
    }

    @Test func missingIncludeNamesTheIncludeAndTheIncluder() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", "include: [missing.yaml]\n")
        let error = fixture.loadError("a.yaml")
        #expect(error?.kind == .missingFile)
        #expect(error?.description == "a.yaml: include 'missing.yaml' not found")
    }

    @Test func includesDeeperThanFiftyLevelsAreRejected() throws {
        let fixture = try TreefileFixture()
        for level in 0...51 {
            try fixture.write("level\(level).yaml", "include: level\(level + 1).yaml\n")
        }
        try fixture.write("level52.yaml", "packages: [bash]\n")
        let error = fixture.loadError("level0.yaml")
        #expect(error?.kind == .includeDepth)
        #expect(error?.file == "level50.yaml")
    }
}
