package dev.aigw.gateway.net;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Literal addresses and blocks as real-ip, ip-restriction and allow_admin read them. */
class CidrTest {

    @Test
    void ipv4BlocksContainTheirAddressesOnly() {
        Cidr lo = Cidr.parse("127.0.0.0/8");
        assertTrue(lo.contains("127.0.0.1"));
        assertTrue(lo.contains("127.255.255.255"));
        assertFalse(lo.contains("128.0.0.1"));
        assertTrue(Cidr.parse("10.1.2.0/23").contains("10.1.3.200"));
        assertFalse(Cidr.parse("10.1.2.0/23").contains("10.1.4.1"));
        assertTrue(Cidr.parse("0.0.0.0/0").contains("203.0.113.9"));
        assertTrue(Cidr.parse("192.0.2.7").contains("192.0.2.7"));
        assertFalse(Cidr.parse("192.0.2.7").contains("192.0.2.8"));
        assertTrue(lo.contains("::ffff:127.0.0.1"), "IPv4-mapped IPv6 against an IPv4 block");
        assertFalse(lo.contains("::1"));
    }

    @Test
    void malformedIpv4IsNoAddress() {
        Cidr any = Cidr.parse("0.0.0.0/0");
        for (String bad : new String[] {"", "1.2.3", "1.2.3.4.", ".1.2.3", "1..2.3", "256.1.1.1", "1.2.3.1000",
                "+1.2.3.4", "-0.2.3.4", "a.b.c.d", "1.2.3.4/8", "example.com"}) {
            assertFalse(any.contains(bad), bad);
            assertFalse(Cidr.isAddress(bad), bad);
        }
        assertFalse(any.contains(null));
        assertFalse(any.contains("1.2.3.4 "), "an address is matched as given");
        assertTrue(Cidr.isAddress(" 1.2.3.4 "), "a configured literal is trimmed, as Cidr.parse does");
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse("1.2.3.400"));
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse("1.2.3.4/33"));
    }

    @Test
    void anyContainsChecksEveryBlock() {
        List<Cidr> blocks = List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("192.168.1.0/24"), Cidr.parse("2001:db8::/32"));
        assertTrue(Cidr.anyContains(blocks, "192.168.1.77"));
        assertTrue(Cidr.anyContains(blocks, "2001:db8::5"));
        assertFalse(Cidr.anyContains(blocks, "192.168.2.1"));
        assertFalse(Cidr.anyContains(blocks, "not-an-ip"));
        assertFalse(Cidr.anyContains(List.of(), "10.0.0.1"));
    }

    @Test
    void isAddressTakesIpv4AndIpv6Literals() {
        assertTrue(Cidr.isAddress("1.2.3.4"));
        assertTrue(Cidr.isAddress("001.002.003.004"));
        assertTrue(Cidr.isAddress("::1"));
        assertTrue(Cidr.isAddress("[2001:db8::1]"));
        assertFalse(Cidr.isAddress("2001:db8::/32"));
        assertFalse(Cidr.isAddress("fe80::zz"));
    }
}
