import Foundation
import Libvirt
import Testing
@testable import Machine

/// The domain XML of test machines, as libvirt's test driver (`test:///default`) takes it:
/// fast checks of domain handling, on top of the real boots of DefaultImageBootTests.
@Suite struct DomainDefinitionTests {
    private func definition(disks: [AttachedDisk]) -> DomainDefinition {
        DomainDefinition(name: "harness-test-\(UUID().uuidString.prefix(8))", accelerator: .tcg, memoryMiB: 512, vcpus: 1,
                         disk: "/var/tmp/overlay.qcow2", console: "/var/tmp/console.txt", agentSocket: "/var/tmp/agent.sock",
                         nvram: nil, extraDisks: disks)
    }

    @Test func extraDisksFollowTheBootDiskInOrder() throws {
        let xml = definition(disks: [.readOnly("/var/tmp/updates.img"),
                                     AttachedDisk(path: "/var/tmp/scratch.qcow2", format: "qcow2", readOnly: false)]).xml
        let updates: Range<String.Index> = try #require(xml.range(of: "<source file='/var/tmp/updates.img'/><target dev='vdb' bus='virtio'/><readonly/>"))
        let scratch: Range<String.Index> = try #require(xml.range(of: "<driver name='qemu' type='qcow2'/><source file='/var/tmp/scratch.qcow2'/><target dev='vdc' bus='virtio'/></disk>"))
        #expect(updates.upperBound <= scratch.lowerBound, "vdb comes before vdc")
        #expect(xml.contains("<source path='/var/tmp/console.txt' append='on'/>"), "the console survives a power cycle")
    }

    /// A path with `&`, `'` or `<` is one value in the XML, and libvirt reads it back as it was.
    @Test func pathsWithXMLCharactersStayWhole() throws {
        var machine = definition(disks: [.readOnly("/var/tmp/a&b/it's <here>.img")])
        machine.console = "/var/tmp/tom & jerry/console.txt"
        let xml = machine.xml
        #expect(xml.contains("<source file='/var/tmp/a&amp;b/it&#39;s &lt;here&gt;.img'/>"))
        #expect(xml.contains("<source path='/var/tmp/tom &amp; jerry/console.txt' append='on'/>"))
        let domain = try LibvirtConnection.shared(uri: "test:///default").createDomain(xml: xml)
        defer { try? domain.destroy() }
        #expect(domain.isActive)
    }

    @Test func libvirtStartsListsAndDestroysTheDomain() throws {
        let connection = try LibvirtConnection.shared(uri: "test:///default")
        #expect(try LibvirtConnection.shared(uri: "test:///default") === connection, "one connection per URI")
        let machine = definition(disks: [.readOnly("/var/tmp/updates.img")])
        let domain = try connection.createDomain(xml: machine.xml)
        #expect(domain.isActive)
        #expect(connection.domains(namedWithPrefix: machine.name).map(\.name) == [machine.name])
        try domain.destroy()
        #expect(connection.domains(namedWithPrefix: machine.name).isEmpty, "a transient domain is gone once destroyed")
    }
}
