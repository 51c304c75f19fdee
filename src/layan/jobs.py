"""Background work: the Huey instance, the subscriber task and the periodic sweepers.

The database is the truth and the queue a doorbell: sweepers re-drive outbox items whose task was
lost, so a dead worker never loses a message.
"""

from huey import crontab
from huey.contrib.djhuey import HUEY as huey  # noqa: N811 - the Huey instance, named as Huey names it
from huey.contrib.djhuey import db_periodic_task, db_task

# Exponential-ish retry for subscribers: Huey retries with a fixed delay, so keep it modest and
# let the sweepers catch anything that runs out of retries.
SUBSCRIBER_RETRIES = 5
SUBSCRIBER_RETRY_DELAY = 10


@db_task(retries=SUBSCRIBER_RETRIES, retry_delay=SUBSCRIBER_RETRY_DELAY)
def run_subscriber(path: str, payload: dict) -> None:
    from layan import events

    events.resolve(path)(events.event_from_payload(payload))


@db_task(retries=3, retry_delay=5)
def deliver_outbox_item(outbox_item_id: int) -> None:
    from layan.delivery.services import deliver_outbox_item as deliver

    deliver(outbox_item_id=outbox_item_id)


@db_task(retries=3, retry_delay=5)
def process_inbound_event(event_id: int) -> None:
    from layan.connectors.ingress import process_inbound_event as process

    process(event_id=event_id)


@db_task(retries=3, retry_delay=5)
def drain_routing_queue(team_id: int) -> None:
    from layan.routing.services import drain_queue

    drain_queue(team_id=team_id)


@db_periodic_task(crontab(minute="*"))
def sweep_routing_queues() -> None:
    from layan.routing.services import sweep_queues

    sweep_queues()


@db_periodic_task(crontab(minute="*"))
def sweep_inbound_events() -> None:
    from layan.connectors.ingress import redrive_pending_inbound_events

    redrive_pending_inbound_events()


@db_periodic_task(crontab(minute="*"))
def poll_email_inboxes() -> None:
    from layan.connectors.email.imap import poll_all_email_inboxes

    poll_all_email_inboxes()


@db_periodic_task(crontab(minute="*"))
def sweep_outbox() -> None:
    from layan.delivery.services import redrive_due_outbox_items

    redrive_due_outbox_items()


@db_task(retries=3, retry_delay=30)
def send_oncall_page(delivery_id: int) -> None:
    from layan.servicelevels.oncall import send_page_delivery

    send_page_delivery(delivery_id=delivery_id)


@db_periodic_task(crontab(minute="*"))
def sweep_oncall() -> None:
    """Escalate unacknowledged emergency pages and re-drive SMS/WhatsApp pages due again."""
    from layan.servicelevels.oncall import escalate_due_pages, redrive_page_deliveries

    escalate_due_pages()
    redrive_page_deliveries()


@db_periodic_task(crontab(minute="*"))
def sweep_service_levels() -> None:
    from layan.servicelevels.services import sweep_service_levels as sweep

    sweep()


@db_task(retries=0)
def deliver_webhook(delivery_id: int) -> None:
    # No Huey retries: the delivery row keeps its own backoff, and the sweeper below redrives it.
    from layan.automation.webhooks import deliver_webhook as deliver

    deliver(delivery_id=delivery_id)


@db_periodic_task(crontab(minute="*"))
def sweep_automation() -> None:
    from layan.automation.engine import apply_time_based_rules
    from layan.automation.webhooks import redrive_due_webhooks

    apply_time_based_rules()
    redrive_due_webhooks()


__all__ = ["huey", "run_subscriber", "deliver_outbox_item", "sweep_outbox", "process_inbound_event",
           "sweep_inbound_events", "poll_email_inboxes", "send_oncall_page", "sweep_oncall",
           "drain_routing_queue", "sweep_routing_queues", "sweep_service_levels", "deliver_webhook",
           "sweep_automation"]
