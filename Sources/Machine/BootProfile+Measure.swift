import Results

extension BootProfile {
    /// Asks the guest (through its channel) and combines its answer with the host's clock.
    public static func measure(_ machine: any GuestMachine) throws -> BootProfile {
        let result = try machine.channel.run(probe, timeout: 60)
        return parse(result.stdout, clock: machine.bootClock)
    }
}
