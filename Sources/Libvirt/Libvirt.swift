import CLibvirt
import Foundation
import ToolSupport

/// A libvirt call that failed, with libvirt's own message.
public struct LibvirtError: Error, CustomStringConvertible {
    public var operation: String
    public var message: String
    public var description: String { "libvirt: \(operation): \(message)" }

    static func last(_ operation: String) -> LibvirtError {
        LibvirtError(operation: operation, message: virGetLastErrorMessage().map { String(cString: $0) } ?? "unknown error")
    }
}

/// libvirt's log outputs, which it reads from the environment (`LIBVIRT_LOG_OUTPUTS`) once,
/// before a program's `main` runs.
public enum LibvirtLogging {
    /// Turns libvirt's own log off for a process still to start, unless the user set its
    /// outputs; whether it did. What fails reaches callers through the API's errors, which
    /// they word themselves; the embedded driver's log is warnings and errors it recovers from
    /// (no access manager, no dmidecode, device-mapper, "tainted") on every boot.
    public static func turnOff() -> Bool {
        guard getenv("LIBVIRT_LOG_OUTPUTS") == nil else { return false }
        setenv("LIBVIRT_LOG_OUTPUTS", "4:file:/dev/null", 1)
        return true
    }
}

/// libvirt's default event loop, run on a thread of its own: the embedded QEMU driver
/// (`qemu:///embed?root=DIR`) lives inside this process and needs it.
public enum LibvirtEventLoop {
    private static let started: Void = {
        // libvirt would print every error on stderr itself; callers report the ones that matter.
        virSetErrorFunc(nil, { _, _ in })
        virEventRegisterDefaultImpl()
        let thread = Thread {
            while true { virEventRunDefaultImpl() }
        }
        thread.name = "libvirt-events"
        thread.start()
    }()

    /// Starts the loop once per process.
    public static func start() { _ = started }
}

/// A connection to a libvirt driver: embedded, `qemu:///system`, or remote.
public final class LibvirtConnection: @unchecked Sendable {
    let handle: virConnectPtr
    public let uri: String

    public init(uri: String) throws {
        LibvirtEventLoop.start()
        guard let handle = virConnectOpen(uri) else { throw LibvirtError.last("connecting to \(uri)") }
        self.handle = handle
        self.uri = uri
    }

    deinit { virConnectClose(handle) }

    private static let sharedLock = NSLock()
    nonisolated(unsafe) private static var sharedConnections: [String: LibvirtConnection] = [:]

    /// One connection per URI for the whole process, opened on first use. Machines booted
    /// side by side must share it: two connections opening the same embedded driver
    /// (`qemu:///embed?root=DIR`) at once crash inside libvirt.
    public static func shared(uri: String) throws -> LibvirtConnection {
        try sharedLock.withLock {
            if let connection = sharedConnections[uri] { return connection }
            let connection = try LibvirtConnection(uri: uri)
            sharedConnections[uri] = connection
            return connection
        }
    }

    /// Starts a transient domain from XML: it disappears when destroyed.
    public func createDomain(xml: String) throws -> Domain {
        guard let domain = virDomainCreateXML(handle, xml, 0) else { throw LibvirtError.last("starting a domain") }
        return Domain(handle: domain)
    }

    /// Starts a domain from a file `Domain.save` wrote, running, with `xml` as its definition:
    /// the saved one with other host paths (disk, console, sockets) and another name, which
    /// libvirt accepts when the machine the guest sees is the same. `name` is the name in `xml`.
    public func restoreDomain(from path: String, xml: String, named name: String) throws -> Domain {
        guard virDomainRestoreFlags(handle, path, xml, UInt32(VIR_DOMAIN_SAVE_RUNNING.rawValue)) == 0 else {
            throw LibvirtError.last("restoring \(path)")
        }
        guard let domain = virDomainLookupByName(handle, name) else {
            throw LibvirtError.last("finding the domain restored from \(path)")
        }
        return Domain(handle: domain)
    }

    /// Running domains whose names start with `prefix` (leftovers of an interrupted run).
    public func domains(namedWithPrefix prefix: String) -> [Domain] {
        var list: UnsafeMutablePointer<virDomainPtr?>? = nil
        let count = virConnectListAllDomains(handle, &list, 0)
        guard count > 0, let list else { return [] }
        defer { free(list) }
        var result: [Domain] = []
        for index in 0..<Int(count) {
            guard let domain = list[index] else { continue }
            let name = virDomainGetName(domain).map { String(cString: $0) } ?? ""
            if name.hasPrefix(prefix) { result.append(Domain(handle: domain)) } else { virDomainFree(domain) }
        }
        return result
    }
}

/// A running domain.
public final class Domain: @unchecked Sendable {
    let handle: virDomainPtr

    init(handle: virDomainPtr) { self.handle = handle }
    deinit { virDomainFree(handle) }

    public var name: String { virDomainGetName(handle).map { String(cString: $0) } ?? "" }

    /// The UUID libvirt gave it (the same for every machine restored from its save).
    public var uuid: String {
        var buffer = [CChar](repeating: 0, count: Int(VIR_UUID_STRING_BUFLEN))
        guard virDomainGetUUIDString(handle, &buffer) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether the domain is still running.
    public var isActive: Bool { virDomainIsActive(handle) == 1 }

    /// Cuts the power.
    public func destroy() throws {
        guard virDomainDestroy(handle) == 0 else { throw LibvirtError.last("destroying \(name)") }
    }

    /// Saves the running machine (memory and devices; the disks stay where they are, as the
    /// guest last wrote them) to `path` and stops it.
    public func save(to path: String) throws {
        guard virDomainSave(handle, path) == 0 else { throw LibvirtError.last("saving \(name) to \(path)") }
    }

    /// Plugs a device (a `<disk>` element, say) into the running domain.
    public func attachDevice(xml: String) throws {
        guard virDomainAttachDeviceFlags(handle, xml, UInt32(VIR_DOMAIN_AFFECT_LIVE.rawValue)) == 0 else {
            throw LibvirtError.last("attaching a device to \(name)")
        }
    }

    /// Whether the guest agent's virtio-serial channel is connected (the agent runs), as the
    /// live domain XML reports it; asking before then only makes libvirt log errors.
    public var isAgentChannelConnected: Bool {
        guard let xml = virDomainGetXMLDesc(handle, 0) else { return false }
        defer { free(xml) }
        let text = String(cString: xml)
        guard let channel = text.range(of: "name='org.qemu.guest_agent.0'") else { return false }
        let tail = text[channel.upperBound...].prefix(200)
        return tail.hasPrefix(" state='connected'")
    }

    /// Sends a JSON command to the QEMU guest agent and returns its JSON reply.
    public func agentCommand(_ json: String, timeoutSeconds: Int32) throws -> String {
        guard let reply = virDomainQemuAgentCommand(handle, json, timeoutSeconds, 0) else {
            throw LibvirtError.last("guest agent command on \(name)")
        }
        defer { free(reply) }
        return String(cString: reply)
    }
}
