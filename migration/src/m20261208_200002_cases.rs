//! Agencies' cases: one per firm and agency, with its status, assignee, next-action date and a
//! version for optimistic concurrency; and every change to it as an event. A case row exists
//! once an agency first acts on a lead (a lead without one is "new").

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FollowupCase {
    Table,
    Id,
    FirmId,
    AgencyId,
    Status,
    AssigneeId,
    NextAction,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CaseEvent {
    Table,
    Id,
    CaseId,
    At,
    UserId,
    Actor,
    FromStatus,
    ToStatus,
    Change,
    Note,
}

#[derive(DeriveIden)]
enum Agency {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(FollowupCase::Table)
                .col(
                    ColumnDef::new(FollowupCase::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(FollowupCase::FirmId).uuid().not_null())
                .col(
                    ColumnDef::new(FollowupCase::AgencyId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(FollowupCase::Status)
                        .string_len(16)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(FollowupCase::AssigneeId)
                        .big_integer()
                        .null(),
                )
                .col(ColumnDef::new(FollowupCase::NextAction).date().null())
                .col(ColumnDef::new(FollowupCase::Version).integer().not_null())
                .col(
                    ColumnDef::new(FollowupCase::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(FollowupCase::UpdatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(FollowupCase::Table, FollowupCase::AgencyId)
                        .to(Agency::Table, Agency::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(FollowupCase::Table, FollowupCase::AssigneeId)
                        .to(AppUser::Table, AppUser::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        // One case per firm and agency; two colleagues opening it at once meet here.
        m.create_index(
            Index::create()
                .name("idx_case_firm_agency")
                .table(FollowupCase::Table)
                .col(FollowupCase::FirmId)
                .col(FollowupCase::AgencyId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_case_agency_status")
                .table(FollowupCase::Table)
                .col(FollowupCase::AgencyId)
                .col(FollowupCase::Status)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CaseEvent::Table)
                .col(
                    ColumnDef::new(CaseEvent::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(CaseEvent::CaseId).big_integer().not_null())
                .col(
                    ColumnDef::new(CaseEvent::At)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(CaseEvent::UserId).big_integer().null())
                // Who, as the audit log names them (an account's e-mail, or "system").
                .col(ColumnDef::new(CaseEvent::Actor).string_len(254).not_null())
                .col(ColumnDef::new(CaseEvent::FromStatus).string_len(16).null())
                .col(
                    ColumnDef::new(CaseEvent::ToStatus)
                        .string_len(16)
                        .not_null(),
                )
                // What else changed (assignee, next action), without the firm's data.
                .col(ColumnDef::new(CaseEvent::Change).text().null())
                // Free text the agency typed: may hold personal data, erased with the firm's.
                .col(ColumnDef::new(CaseEvent::Note).text().null())
                .foreign_key(
                    ForeignKey::create()
                        .from(CaseEvent::Table, CaseEvent::CaseId)
                        .to(FollowupCase::Table, FollowupCase::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_case_event_case")
                .table(CaseEvent::Table)
                .col(CaseEvent::CaseId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(CaseEvent::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(FollowupCase::Table).to_owned())
            .await
    }
}
