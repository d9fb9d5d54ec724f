import ArgumentParser
import Deploy

/// `treectl kargs`: show or change the kernel arguments (a new deployment, so rollback
/// returns to the old ones).
struct Kargs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show or change the kernel arguments.")

    @OptionGroup var options: SysrootOptions
    @OptionGroup var rebootOption: RebootOption

    @Option(help: "Add KEY=VALUE (or KEY).")
    var append: [String] = []

    @Option(help: "Remove KEY=VALUE, or every KEY.")
    var delete: [String] = []

    @Option(help: "Set the value of an existing KEY: KEY=VALUE.")
    var replace: [String] = []

    func run() throws {
        guard !(append.isEmpty && delete.isEmpty && replace.isEmpty) else {
            let client = try options.openClient()
            print(KernelArguments(try client.defaultDeployment().kernelArguments ?? "").commandLine)
            return
        }
        try options.change(reboot: rebootOption.reboot) { client in
            try client.changeKernelArguments { arguments in
                for argument in delete { try arguments.delete(argument) }
                for argument in replace { try arguments.replace(argument) }
                for argument in append { arguments.append(argument) }
            }
        }
    }
}
