import Testing
import Treefile

/// Variables (`--var` > root file > files parsed earlier), `${var}` substitution, and the
/// conditions of `conditional-include` (treefile-includes.md §4).
@Suite struct VariableConditionTests {
    @Test func variablePrecedenceIsCommandLineThenRootThenEarlierFiles() throws {
        let fixture = try TreefileFixture()
        try fixture.write("root.yaml", """
            variables: {x: root}
            include: [a.yaml, b.yaml]
            ref: ${x}-${y}-${z}
            """)
        try fixture.write("a.yaml", "variables: {x: a, y: a}\n")
        try fixture.write("b.yaml", "variables: {y: b, z: b}\n")
        #expect(try fixture.load("root.yaml").ref == "root-a-b")
        let overridden = try fixture.load("root.yaml", variables: ["x": "cli", "z": "cli"])
        #expect(overridden.ref == "cli-a-cli")
        #expect(overridden.variables["x"] == .string("cli"))
        #expect(overridden.variables["basearch"] == .string("x86_64"))
    }

    /// The root defines `releasever: 40`, `stream: "testing"` and `prod: false`.
    @Test(arguments: [
        ("releasever < 41", true), ("releasever >= 41", false), ("releasever <= 40", true),
        ("releasever > 40", false), ("releasever == 40", true), ("releasever != 40", false),
        ("stream == \"testing\"", true), ("stream != \"testing\"", false), ("prod == false", true),
        ("prod == true", false), ("basearch != \"s390x\"", true), ("  stream==\"testing\"  ", true),
    ])
    func conditionSelectsTheInclude(condition: String, matches: Bool) throws {
        let fixture = try TreefileFixture()
        try fixture.write("root.yaml", """
            releasever: 40
            variables: {stream: testing, prod: false}
            conditional-include:
              - if: '\(condition)'
                include: hit.yaml
            """)
        try fixture.write("hit.yaml", "packages: [hit]\n")
        #expect(try fixture.load("root.yaml").packages == (matches ? ["hit"] : []))
    }

    @Test(arguments: [(["releasever >= 40", "stream == \"testing\""], true),
                      (["releasever >= 40", "stream == \"other\""], false),
                      ([String](), true)])
    func conditionListIsAnAnd(conditions: [String], matches: Bool) throws {
        let fixture = try TreefileFixture()
        let list = conditions.isEmpty ? "      []\n" : conditions.map { "      - '\($0)'\n" }.joined()
        try fixture.write("root.yaml", "releasever: 40\nvariables: {stream: testing}\nconditional-include:\n"
                          + "  - if:\n" + list + "    include: hit.yaml\n")
        try fixture.write("hit.yaml", "packages: [hit]\n")
        #expect(try fixture.load("root.yaml").packages == (matches ? ["hit"] : []))
    }

    @Test func undefinedVariableIsAnErrorEvenWhenTheEntryCouldNotMatch() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", """
            variables: {stream: testing}
            conditional-include:
              - if: [stream == "other", osversion == "rhel-9.8"]
                include: never.yaml
            """)
        let error = fixture.loadError("a.yaml")
        #expect(error?.kind == .undefinedVariable)
        #expect(error?.description == "a.yaml: conditional-include: undefined variable 'osversion'")
        let defined = try fixture.load("a.yaml", variables: ["osversion": "rhel-9.8"])
        #expect(defined.variables["osversion"] == .string("rhel-9.8"))
    }

    @Test(arguments: ["releasever == \"40\"", "stream < 3", "prod == 0", "stream < \"z\""])
    func comparingDifferentTypesOrOrderingNonNumbersIsAnError(condition: String) throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", """
            releasever: 40
            variables: {stream: testing, prod: false}
            conditional-include:
              - if: '\(condition)'
                include: never.yaml
            """)
        let error = fixture.loadError("a.yaml")
        #expect(error?.kind == .invalidCondition)
        #expect(error?.description.hasPrefix("a.yaml: conditional-include: ") == true)
    }

    @Test func quotedReleaseverIsAStringInConditions() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", """
            releasever: "40"
            conditional-include:
              - if: releasever == "40"
                include: hit.yaml
            """)
        try fixture.write("hit.yaml", "packages: [hit]\n")
        let treefile = try fixture.load("a.yaml")
        #expect(treefile.packages == ["hit"])
        #expect(treefile.releasever == "40")
        #expect(treefile.variables["releasever"] == .string("40"))
    }

    @Test(arguments: ["releasever =~ 40", "releasever", "== 40", "releasever == forty", "releasever == 'x'"])
    func malformedConditionIsAnError(condition: String) throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", """
            releasever: 40
            conditional-include:
              - if: "\(condition)"
                include: never.yaml
            """)
        #expect(fixture.loadError("a.yaml")?.kind == .invalidCondition)
    }

    @Test func conditionsSeeTheIncludersVariablesButNotTheirOwnIncludes() throws {
        let fixture = try TreefileFixture()
        try fixture.write("root.yaml", "variables: {flavor: server}\ninclude: child.yaml\n")
        try fixture.write("child.yaml", """
            conditional-include:
              - if: flavor == "server"
                include: hit.yaml
            """)
        try fixture.write("hit.yaml", "packages: [hit]\n")
        #expect(try fixture.load("root.yaml").packages == ["hit"])

        try fixture.write("late.yaml", """
            include: defines.yaml
            conditional-include:
              - if: flavor == "server"
                include: hit.yaml
            """)
        try fixture.write("defines.yaml", "variables: {flavor: server}\n")
        #expect(fixture.loadError("late.yaml")?.kind == .undefinedVariable)
    }

    @Test func substitutionTouchesOnlyRpmOstreesFieldsAndLeavesUnknownNames() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", """
            releasever: 40
            variables: {stream: stable}
            ref: fedora/${basearch}/coreos/${stream}
            automatic-version-prefix: "${releasever}.<date:%Y%m%d>"
            mutate-os-release: "${releasever}"
            add-commit-metadata: {fedora-coreos.stream: "${stream}", nested: {s: "${stream}"}}
            rojig: {name: "fcos-${stream}", summary: s, license: MIT}
            packages: ["${stream}"]
            postprocess: ["echo ${stream}"]
            remove-files: ["${nope}"]
            metadata: {undefined: "${nope}"}
            """)
        let treefile = try fixture.load("a.yaml")
        #expect(treefile.ref == "fedora/x86_64/coreos/stable")
        #expect(treefile.automaticVersionPrefix == "40.<date:%Y%m%d>")
        #expect(treefile.addCommitMetadata["fedora-coreos.stream"] == .string("stable"))
        #expect(treefile.addCommitMetadata["nested"] == .map(["s": .string("${stream}")]))
        #expect(treefile.metadata["undefined"] == .string("${nope}"))
        #expect(treefile.packages == ["${stream}"])
        #expect(treefile.postprocess == ["echo ${stream}"])
        let json = try treefile.flattenedJSON()
        #expect(json.contains("\"mutate-os-release\": \"40\""))
        #expect(json.contains("\"name\": \"fcos-stable\""))
    }

    @Test func reservedVariableNamesAreRejected() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", "variables: {releasever: 40}\n")
        #expect(fixture.loadError("a.yaml")?.description
                == "a.yaml: key 'variables': cannot define reserved variable 'releasever'")
    }

    @Test func variableValuesWithTemplateCharactersAreRejected() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", "ref: r\n")
        let error = fixture.loadError("a.yaml", variables: ["x": "a}b"])
        #expect(error?.kind == .invalidValue)
        #expect(error?.description.contains("'a}b'") == true)
    }

    @Test func variableValuesMustBeBooleansNumbersOrStrings() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", "variables: {bad: [1, 2]}\n")
        #expect(fixture.loadError("a.yaml")?.kind == .wrongType)
        try fixture.write("b.yaml", "variables: {bad: -1}\n")
        #expect(fixture.loadError("b.yaml")?.kind == .wrongType)
    }
}
