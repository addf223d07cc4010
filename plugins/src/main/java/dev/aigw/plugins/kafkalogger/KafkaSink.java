package dev.aigw.plugins.kafkalogger;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The Kafka producers of the kafka-logger plugin, one per {@link ProducerSettings}, reference counted
 * by the batch processors that use them, and the worker threads that talk to them.
 *
 * <p>kafka-clients' {@code send} may block (waiting for metadata, or for buffer space) up to
 * {@code max.block.ms}, and building a producer resolves host names: all of it runs on a small
 * dedicated Vert.x worker pool, never on an event loop. A send completes when the broker
 * acknowledged the record (or failed), so the batch processor's retries and backlog cap see the
 * truth.
 */
final class KafkaSink {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaSink.class);
    private static final int WORKERS = 2;

    /** One producer and the number of processors using it; the producer is built on first send. */
    private static final class Holder {
        final ProducerSettings settings;
        int refs;
        private KafkaProducer<String, byte[]> producer;
        private boolean closed;

        Holder(ProducerSettings settings) {
            this.settings = settings;
        }

        /** Worker thread only. */
        synchronized KafkaProducer<String, byte[]> producer() {
            if (closed) {
                throw new IllegalStateException("producer closed");
            }
            if (producer == null) {
                LOG.info("creating Kafka producer {}", settings);
                producer = new KafkaProducer<>(settings.toProperties());
            }
            return producer;
        }

        /** Worker thread only: flushes what was accepted, then closes. */
        synchronized void close(Duration timeout) {
            closed = true;
            if (producer != null) {
                try {
                    producer.close(timeout);
                } catch (RuntimeException e) {
                    LOG.warn("closing Kafka producer {}: {}", settings, e.toString());
                }
                producer = null;
            }
        }
    }

    private final WorkerExecutor worker;
    private final Map<ProducerSettings, Holder> holders = new ConcurrentHashMap<>();
    private final Duration closeTimeout;

    KafkaSink(Vertx vertx, Duration closeTimeout) {
        this.worker = vertx.createSharedWorkerExecutor("aigw-kafka-logger", WORKERS, 5, TimeUnit.MINUTES);
        this.closeTimeout = closeTimeout;
    }

    /** A batch processor starts using these settings; returns their holder. Cheap, non-blocking. */
    Holder retain(ProducerSettings s) {
        return holders.compute(s, (k, h) -> {
            Holder x = h == null ? new Holder(k) : h;
            x.refs++;
            return x;
        });
    }

    /** A batch processor stopped using these settings; the last one closes the producer (off-loop). */
    void release(ProducerSettings s) {
        Holder[] removed = new Holder[1];
        holders.computeIfPresent(s, (k, h) -> {
            if (--h.refs > 0) {
                return h;
            }
            removed[0] = h;
            return null;
        });
        if (removed[0] != null) {
            Holder h = removed[0];
            worker.executeBlocking(() -> {
                h.close(closeTimeout);
                return null;
            }, false);
        }
    }

    /** Producers currently held (built or not). */
    int producers() {
        return holders.size();
    }

    /**
     * Sends the records of one batch, in order; the payloads are produced on the worker thread (JSON
     * encoding stays off the event loop). Completes once every record is acknowledged, or fails with
     * the first error.
     */
    Future<Void> send(ProducerSettings s, String topic, String key, Supplier<List<byte[]>> payloads) {
        Holder h = holders.get(s);
        if (h == null) {
            // a processor gives its reference back only once its last batch is done, so this is a
            // batch sent after the plugin began to close: keep it working (in one step: another
            // release may run between a retain and a second lookup)
            h = retain(s);
        }
        Holder holder = h;
        return worker.<Future<Void>>executeBlocking(() -> {
            List<byte[]> values = payloads.get();
            Promise<Void> done = Promise.promise();
            AtomicInteger left = new AtomicInteger(values.size());
            if (values.isEmpty()) {
                done.complete();
            }
            for (byte[] value : values) {
                holder.producer().send(new ProducerRecord<>(topic, key, value), (meta, err) -> {
                    if (err != null) {
                        done.tryFail(new IllegalStateException("failed to send data to Kafka topic: " + err.getMessage()
                                + ", brokers: " + s.bootstrap(), err));
                    } else if (left.decrementAndGet() == 0) {
                        done.tryComplete();
                    }
                });
            }
            return done.future();
        }, false).compose(f -> f);
    }

    /** Flushes and closes every producer, then the worker pool. */
    Future<Void> close() {
        List<Holder> all = new ArrayList<>(holders.values());
        holders.clear();
        return worker.executeBlocking(() -> {
            for (Holder h : all) {
                h.close(closeTimeout);
            }
            return null;
        }, false).eventually(() -> worker.close()).mapEmpty();
    }
}
