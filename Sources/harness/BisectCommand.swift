import ArgumentParser
import Bisect
import Foundation
import Machine
import ToolSupport

/// `harness bisect --good COMMIT --bad COMMIT TEST`: the first package change that makes TEST fail.
struct BisectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bisect",
        abstract: "Find the first package change between two composed commits that makes a test fail.",
        discussion: """
            --good and --bad are refs or commits of STATE/repo composed by harness compose tree \
            (their package lists are in their metadata). The changes between them (packages \
            added, removed, changed) are ordered so that every prefix holds together for the \
            solver; each candidate is composed from --treefile with exactly its packages, from \
            the package cache, built into an image and booted, and TEST runs on it: first on \
            --bad, then halving. A tree that does not boot fails TEST like any other failure. \
            OUTPUT gets bisect.log (the plan and every run), bisect.json (the report) and a \
            directory of reports and artifacts per run. Exit status 1 when TEST passes on \
            --bad (nothing to find) or fails on --good too.
            """)

    @OptionGroup var state: StateOptions

    @Option(help: ArgumentHelp("The ref or commit TEST passes on.", valueName: "commit"))
    var good: String

    @Option(help: ArgumentHelp("The ref or commit TEST fails on.", valueName: "commit"))
    var bad: String

    @Argument(help: "The test (a name harness list gives, or a glob matching one test).")
    var test: String

    @Option(help: "The treefile the candidates are composed from, the one --bad was composed from (default: images/debian-bookworm/treefile.yaml).")
    var treefile: String?

    @Option(name: .customShort("E"), help: ArgumentHelp("TEST is a kola external test of this directory (DIR/tests/kola); repeatable.", valueName: "dir"))
    var externalDirectories: [String] = []

    @Option(help: "The distribution kola tests' distros key is matched against.")
    var distro: String?

    @Option(help: "Where the log, report and artifacts go (default: harness-output/bisect-DATE).")
    var output: String?

    @Option(help: "libvirt URI (default: the embedded QEMU driver, no daemon).")
    var connect: String?

    @Option(help: "The harness checkout with scenarios/ (default: found from the current directory).")
    var project: String?

    @Flag(help: "Print the report as JSON on stdout.")
    var json = false

    func run() throws {
        let layout = try projectLayout(project)
        var request = Bisector.Request(good: good, bad: bad, test: test, treefile: absolute(treefile ?? layout.defaultTreefile),
                                       project: layout, stateDirectory: state.path)
        request.externalDirectories = externalDirectories.map(absolute)
        request.connectURI = connect
        request.distro = distro
        let bisection = try Bisector(request: request).plan()
        // Bad input is refused above, before anything is written here.
        try Machine.destroyLeftovers(stateDirectory: state.path, connectURI: connect)
        let outputDirectory = try makeOutputDirectory(output, kind: "bisect")
        Console.progress("Output: \(outputDirectory)")
        let report = try bisection.run(outputDirectory: outputDirectory)
        Console.progress(report.summary)
        if json {
            try JSONOutput.print(report)
        }
    }
}
