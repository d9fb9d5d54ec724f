import ArgumentParser
import Foundation
import Publish
import ToolSupport

/// `harness publish`: refs of a repository as a static directory any web server can serve.
struct PublishCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish refs as a static OSTree repository with static deltas and a signed summary.",
        discussion: """
            --to DIR becomes a link to a complete archive repository beside it (.DIR.publish/N), \
            replaced whole in one rename: objects and deltas are written first and the summary last, \
            in a new copy, so clients never see a summary naming objects not there yet, and an \
            interrupted or failed publish (a full disk, say) leaves the previous state served. \
            Publishing what DIR already serves writes nothing. Serve DIR itself (or its parent) \
            with any web server that follows links.
            """)

    @OptionGroup var state: StateOptions

    @Option(help: "The repository the commits come from (default: STATE/repo).")
    var repo: String?

    @Option(help: "The directory to publish to.")
    var to: String

    @Option(help: "Parent commits of each ref kept besides its head.")
    var depth = 2

    @Option(help: "Static deltas to each head from this many of its previous commits.")
    var deltas = 1

    @Option(name: .customLong("delta-from"), help: "Also a static delta from this commit to each head; repeatable.")
    var deltaFrom: [String] = []

    @OptionGroup var signing: SigningOptions

    @Flag(help: "Print what is served as JSON on stdout.")
    var json = false

    @Argument(help: "The refs to publish.")
    var refs: [String]

    func run() throws {
        var options = PublishOptions(source: absolute(repo ?? state.path + "/repo"), destination: absolute(to), refs: refs)
        options.depth = depth
        options.deltas = deltas
        options.deltaFrom = deltaFrom
        options.signer = signing.signer
        if options.signer == nil { Console.warning("publishing without --gpg-sign: the summary is not signed") }
        let result = try Publisher(options: options).publish()
        if json {
            try JSONOutput.print(result)
        } else {
            for (ref, commit) in result.refs.sorted(by: { $0.key < $1.key }) { print("\(ref) \(commit)") }
        }
    }
}
