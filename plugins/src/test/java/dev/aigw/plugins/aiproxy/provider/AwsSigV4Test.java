package dev.aigw.plugins.aiproxy.provider;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * SigV4 against AWS's published test suite (aws-sig-v4-test-suite: credentials AKIDEXAMPLE,
 * 2015-08-30T12:36:00Z, us-east-1, service "service") and the signing-key example of the IAM user
 * guide.
 */
class AwsSigV4Test {

    private static final String SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private static final Instant WHEN = Instant.parse("2015-08-30T12:36:00Z");

    private static String sign(String method, String uri, String body) {
        MultiMap h = MultiMap.caseInsensitiveMultiMap();
        new AwsSigV4("AKIDEXAMPLE", SECRET, null, "us-east-1", "service")
                .sign(method, "example.amazonaws.com", uri, h, body.getBytes(StandardCharsets.UTF_8), WHEN);
        assertEquals("20150830T123600Z", h.get("X-Amz-Date"));
        return h.get("Authorization");
    }

    @Test
    void getVanilla() {
        assertEquals("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=host;x-amz-date, "
                + "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", sign("GET", "/", ""));
    }

    @Test
    void postVanilla() {
        assertEquals("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=host;x-amz-date, "
                + "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b", sign("POST", "/", ""));
    }

    @Test
    void getVanillaQueryOrderKeyCase() {
        assertEquals("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=host;x-amz-date, "
                + "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
                sign("GET", "/?Param2=value2&Param1=value1", ""));
    }

    @Test
    void signingKeyOfTheIamGuide() {
        AwsSigV4 s = new AwsSigV4("AKIDEXAMPLE", SECRET, null, "us-east-1", "iam");
        assertEquals("c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9",
                HexFormat.of().formatHex(s.signingKey("20150830")));
    }

    @Test
    void pathSegmentsAreEncodedAgainAndTheSessionTokenIsSigned() {
        assertEquals("/model/anthropic.claude-v2%253A1/converse",
                AwsSigV4.canonicalPath("/model/anthropic.claude-v2%3A1/converse"));
        MultiMap h = MultiMap.caseInsensitiveMultiMap().set("Content-Type", "application/json");
        new AwsSigV4("AKID", SECRET, "token-1", "eu-west-1", "bedrock")
                .sign("POST", "bedrock-runtime.eu-west-1.amazonaws.com", "/model/m/converse", h, new byte[0], WHEN);
        assertEquals("token-1", h.get("X-Amz-Security-Token"));
        assertEquals(true, h.get("Authorization").contains(
                "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token"));
        assertEquals(false, h.get("Authorization").contains(SECRET));
    }
}
