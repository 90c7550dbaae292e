//! Questionnaires seen, responses (drafts and submitted), their answers, the results as they were
//! at submission, and the contact details and consents kept apart from the answers.
//!
//! Personal data (business name, e-mail, phone) lives only in `contact`, so aggregates never
//! touch it and deleting a firm's data is one row. Results are stored, never recomputed.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
#[expect(
    clippy::enum_variant_names,
    reason = "column names, not variants of a concept"
)]
enum Questionnaire {
    Table,
    Id,
    QuestionnaireId,
    Version,
    ContentHash,
    FirstLoadedAt,
}

#[derive(DeriveIden)]
pub enum Response {
    Table,
    Id,
    QuestionnaireId,
    QuestionnaireVersion,
    ContentHash,
    Lang,
    Status,
    ResumeTokenHash,
    ResultTokenHash,
    CurrentSection,
    Profile,
    Consents,
    Province,
    FormerProvince,
    Sector,
    SizeClass,
    Channel,
    CreatedAt,
    UpdatedAt,
    SubmittedAt,
}

#[derive(DeriveIden)]
enum Answer {
    Table,
    ResponseId,
    QuestionId,
    Value,
    Points,
}

#[derive(DeriveIden)]
enum AssessmentResult {
    Table,
    ResponseId,
    Overall,
    Level,
    Band,
    Dimensions,
    Barriers,
    Roadmap,
    AgencyFlags,
    EngineVersion,
    ComputedAt,
}

#[derive(DeriveIden)]
enum ResultDimension {
    Table,
    ResponseId,
    DimensionId,
    Score,
}

#[derive(DeriveIden)]
enum ResultBarrier {
    Table,
    ResponseId,
    BarrierId,
    SelfReported,
    Inferred,
}

#[derive(DeriveIden)]
enum Contact {
    Table,
    ResponseId,
    BusinessName,
    Email,
    Phone,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Consent {
    Table,
    Id,
    ResponseId,
    Purpose,
    QuestionnaireVersion,
    GrantedAt,
    WithdrawnAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Questionnaire::Table)
                .col(
                    ColumnDef::new(Questionnaire::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(Questionnaire::QuestionnaireId)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Questionnaire::Version)
                        .string_len(32)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Questionnaire::ContentHash)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Questionnaire::FirstLoadedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_questionnaire_id_version")
                .table(Questionnaire::Table)
                .col(Questionnaire::QuestionnaireId)
                .col(Questionnaire::Version)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Response::Table)
                .col(ColumnDef::new(Response::Id).uuid().not_null().primary_key())
                .col(
                    ColumnDef::new(Response::QuestionnaireId)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Response::QuestionnaireVersion)
                        .string_len(32)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Response::ContentHash)
                        .string_len(64)
                        .not_null(),
                )
                .col(ColumnDef::new(Response::Lang).string_len(2).not_null())
                // draft | submitted
                .col(ColumnDef::new(Response::Status).string_len(16).not_null())
                .col(
                    ColumnDef::new(Response::ResumeTokenHash)
                        .string_len(64)
                        .null(),
                )
                .col(
                    ColumnDef::new(Response::ResultTokenHash)
                        .string_len(64)
                        .null(),
                )
                .col(
                    ColumnDef::new(Response::CurrentSection)
                        .string_len(64)
                        .null(),
                )
                // The non-identifying profile (province, sector, employees, …) as JSON.
                .col(ColumnDef::new(Response::Profile).text().not_null())
                // Draft consent choices; granted consents are rows in `consent`.
                .col(ColumnDef::new(Response::Consents).text().not_null())
                // Denormalised for dashboard filters.
                .col(ColumnDef::new(Response::Province).string_len(64).null())
                .col(
                    ColumnDef::new(Response::FormerProvince)
                        .string_len(64)
                        .null(),
                )
                .col(ColumnDef::new(Response::Sector).string_len(64).null())
                .col(ColumnDef::new(Response::SizeClass).string_len(16).null())
                // web | api | demo
                .col(ColumnDef::new(Response::Channel).string_len(8).not_null())
                .col(
                    ColumnDef::new(Response::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Response::UpdatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Response::SubmittedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .to_owned(),
        )
        .await?;
        for (name, col, unique) in [
            ("ux_response_resume_token", Response::ResumeTokenHash, true),
            ("ux_response_result_token", Response::ResultTokenHash, true),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(Response::Table).col(col);
            if unique {
                idx.unique();
            }
            m.create_index(idx.clone()).await?;
        }
        m.create_index(
            Index::create()
                .name("ix_response_submitted")
                .table(Response::Table)
                .col(Response::QuestionnaireId)
                .col(Response::Status)
                .col(Response::SubmittedAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_response_province_sector")
                .table(Response::Table)
                .col(Response::Province)
                .col(Response::Sector)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Answer::Table)
                .col(ColumnDef::new(Answer::ResponseId).uuid().not_null())
                .col(ColumnDef::new(Answer::QuestionId).string_len(64).not_null())
                .col(ColumnDef::new(Answer::Value).text().not_null())
                .col(ColumnDef::new(Answer::Points).double().null())
                .primary_key(
                    Index::create()
                        .col(Answer::ResponseId)
                        .col(Answer::QuestionId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Answer::Table, Answer::ResponseId)
                        .to(Response::Table, Response::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AssessmentResult::Table)
                .col(
                    ColumnDef::new(AssessmentResult::ResponseId)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(AssessmentResult::Overall)
                        .double()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AssessmentResult::Level)
                        .small_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(AssessmentResult::Band).string_len(32).null())
                .col(
                    ColumnDef::new(AssessmentResult::Dimensions)
                        .text()
                        .not_null(),
                )
                .col(ColumnDef::new(AssessmentResult::Barriers).text().not_null())
                .col(ColumnDef::new(AssessmentResult::Roadmap).text().not_null())
                .col(
                    ColumnDef::new(AssessmentResult::AgencyFlags)
                        .text()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AssessmentResult::EngineVersion)
                        .string_len(16)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AssessmentResult::ComputedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(AssessmentResult::Table, AssessmentResult::ResponseId)
                        .to(Response::Table, Response::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ResultDimension::Table)
                .col(
                    ColumnDef::new(ResultDimension::ResponseId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ResultDimension::DimensionId)
                        .string_len(64)
                        .not_null(),
                )
                .col(ColumnDef::new(ResultDimension::Score).double().not_null())
                .primary_key(
                    Index::create()
                        .col(ResultDimension::ResponseId)
                        .col(ResultDimension::DimensionId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ResultDimension::Table, ResultDimension::ResponseId)
                        .to(Response::Table, Response::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ResultBarrier::Table)
                .col(ColumnDef::new(ResultBarrier::ResponseId).uuid().not_null())
                .col(
                    ColumnDef::new(ResultBarrier::BarrierId)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ResultBarrier::SelfReported)
                        .boolean()
                        .not_null(),
                )
                .col(ColumnDef::new(ResultBarrier::Inferred).boolean().not_null())
                .primary_key(
                    Index::create()
                        .col(ResultBarrier::ResponseId)
                        .col(ResultBarrier::BarrierId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ResultBarrier::Table, ResultBarrier::ResponseId)
                        .to(Response::Table, Response::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Contact::Table)
                .col(
                    ColumnDef::new(Contact::ResponseId)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Contact::BusinessName).string_len(200).null())
                .col(ColumnDef::new(Contact::Email).string_len(254).null())
                .col(ColumnDef::new(Contact::Phone).string_len(32).null())
                .col(
                    ColumnDef::new(Contact::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Contact::Table, Contact::ResponseId)
                        .to(Response::Table, Response::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Consent::Table)
                .col(
                    ColumnDef::new(Consent::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(Consent::ResponseId).uuid().not_null())
                .col(ColumnDef::new(Consent::Purpose).string_len(32).not_null())
                // The wording the person agreed to is that of this questionnaire version.
                .col(
                    ColumnDef::new(Consent::QuestionnaireVersion)
                        .string_len(32)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Consent::GrantedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Consent::WithdrawnAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Consent::Table, Consent::ResponseId)
                        .to(Response::Table, Response::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_consent_response_purpose")
                .table(Consent::Table)
                .col(Consent::ResponseId)
                .col(Consent::Purpose)
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Consent::Table.into_iden(),
            Contact::Table.into_iden(),
            ResultBarrier::Table.into_iden(),
            ResultDimension::Table.into_iden(),
            AssessmentResult::Table.into_iden(),
            Answer::Table.into_iden(),
            Response::Table.into_iden(),
            Questionnaire::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
