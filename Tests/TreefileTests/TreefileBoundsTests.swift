import Foundation
import Testing
import Treefile

/// Every input a treefile brings has a bound: treefiles written to exhaust memory or to make
/// the compose read forever are refused with a clear error, quickly.
@Suite struct TreefileBoundsTests {
    @Test func anAliasBombIsRefusedBeforeItExpands() throws {
        let fixture = try TreefileFixture()
        // Nine levels of nine aliases: 387,420,489 strings once expanded.
        var yaml = "ref: bomb\na: &a [x, x, x, x, x, x, x, x, x]\n"
        var previous = "a"
        for level in ["b", "c", "d", "e", "f", "g", "h", "i"] {
            yaml += "\(level): &\(level) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "]\n"
            previous = level
        }
        yaml += "packages: *i\n"
        try fixture.write("bomb.yaml", yaml)
        let error = fixture.loadError("bomb.yaml")
        #expect(error?.kind == .invalidValue)
        #expect(error?.description.hasPrefix("bomb.yaml: the YAML expands to more than 500000 values") == true)
    }

    @Test func aPostprocessScriptThatIsADeviceIsRefused() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", "ref: a\npostprocess-script: /dev/zero\n")
        let error = fixture.loadError("a.yaml")
        #expect(error?.kind == .invalidValue)
        #expect(error?.description == "a.yaml: postprocess-script '/dev/zero' is not a regular file")
    }

    @Test func anAddFilesSourceThatIsAFIFOIsRefused() throws {
        let fixture = try TreefileFixture()
        #expect(mkfifo(fixture.path("pipe"), 0o644) == 0)
        try fixture.write("a.yaml", "ref: a\nadd-files: [[pipe, /etc/pipe]]\n")
        #expect(fixture.loadError("a.yaml")?.description == "a.yaml: add-files source 'pipe' is not a regular file")
    }

    @Test func anIncludeThatIsADeviceIsNotRead() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", "ref: a\ninclude: /dev/zero\n")
        #expect(fixture.loadError("a.yaml")?.kind == .missingFile)
    }
}
