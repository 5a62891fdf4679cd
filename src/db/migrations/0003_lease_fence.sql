ALTER TABLE "settings" ADD COLUMN "lease_request_id" text;--> statement-breakpoint
ALTER TABLE "settings" ADD COLUMN "lease_token" integer;