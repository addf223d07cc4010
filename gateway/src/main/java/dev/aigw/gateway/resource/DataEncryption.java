package dev.aigw.gateway.resource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * APISIX's {@code apisix/core/data_encryption.lua}: secret fields are stored as
 * base64(AES-CBC(value)), the raw key bytes being both key and IV (its first 16 bytes), PKCS#7 padding; a 16-byte keyring
 * entry gives AES-128, a 32-byte one AES-256, others are ignored (logged). Encryption uses the first
 * key; decryption tries each and keeps the value as it is when none fits (a value stored in clear,
 * for example). With encryption disabled or an empty keyring, values are stored as given.
 *
 * <p>Immutable and thread-safe (a {@link Cipher} is made per call: they are not thread-safe).
 */
public final class DataEncryption {

    private static final Logger LOG = LoggerFactory.getLogger(DataEncryption.class);

    /** APISIX's default keyring ({@code apisix/cli/config.lua}). */
    public static final List<String> DEFAULT_KEYRING = List.of("qeddd145sfvddff3", "edd1c9f0985e76a2");

    /** Stores everything in clear. */
    public static final DataEncryption NONE = new DataEncryption(false, List.of());

    private final boolean enabled;
    private final List<SecretKeySpec> keys = new ArrayList<>();
    private final List<IvParameterSpec> ivs = new ArrayList<>();

    /**
     * @param enabled {@code apisix.data_encryption.enable_encrypt_fields}
     * @param keyring {@code apisix.data_encryption.keyring}
     */
    public DataEncryption(boolean enabled, List<String> keyring) {
        this.enabled = enabled;
        for (String k : keyring) {
            byte[] raw = k.getBytes(StandardCharsets.UTF_8);
            if (raw.length != 16 && raw.length != 32) {
                LOG.error("ignored data_encryption keyring entry: expected a 16 byte (AES-128) or 32 byte (AES-256) key, got {} bytes",
                        raw.length);
                continue;
            }
            keys.add(new SecretKeySpec(raw, "AES"));
            // lua-resty-aes hands the key as IV to OpenSSL, which reads the cipher's 16 IV bytes of it
            ivs.add(new IvParameterSpec(raw, 0, 16));
        }
    }

    /** True when fields are encrypted on write (enabled, with at least one usable key). */
    public boolean active() {
        return enabled && !keys.isEmpty();
    }

    /** The stored form of {@code value}: encrypted with the first key, or the value itself when inactive. */
    public String encrypt(String value) {
        if (!active()) {
            return value;
        }
        try {
            Cipher c = Cipher.getInstance("AES/CBC/PKCS5Padding");
            c.init(Cipher.ENCRYPT_MODE, keys.get(0), ivs.get(0));
            return Base64.getEncoder().encodeToString(c.doFinal(value.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            LOG.error("failed to encrypt the data: {}", e.getMessage());
            return value;
        }
    }

    /** The clear value of a stored one: tries each key; a value no key decrypts is returned as it is. */
    public String decrypt(String stored) {
        if (!enabled || keys.isEmpty()) {
            return stored;
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(stored);
        } catch (IllegalArgumentException e) {
            return stored; // not base64: stored in clear
        }
        if (bytes.length == 0 || bytes.length % 16 != 0) {
            return stored;
        }
        for (int i = 0; i < keys.size(); i++) {
            try {
                Cipher c = Cipher.getInstance("AES/CBC/PKCS5Padding");
                c.init(Cipher.DECRYPT_MODE, keys.get(i), ivs.get(i));
                return new String(c.doFinal(bytes), StandardCharsets.UTF_8);
            } catch (GeneralSecurityException e) {
                // try the next key
            }
        }
        return stored;
    }
}
