"""The seed's architecture as a CloudFormation template, built from values (a pure function).

A private S3 bucket (public access blocked, readable only by the distribution through Origin
Access Control), Origin Shield in the bucket's region, the trusted key group with the
published public keys, signed cache behaviours for ``/renditions/*`` and ``/originals/*``,
``/api/*`` and the pages passed to the application uncached, ``/static/*`` cached, the
security-headers CloudFront Function on every answer, TLS 1.2 (2021 policy), HTTP/2 and 3.

Revocation at the edge (``cdn.revocation``): a KeyValueStore of the pets' access floors, read
by the renditions' viewer-request function (``cdn/functions/renditions_viewer_request.js``);
its ARN is an output, for ``CLOUDFRONT_KEY_VALUE_STORE_ARN`` (the application writes the
floors: its role needs ``cloudfront-keyvaluestore:DescribeKeyValueStore`` and ``UpdateKeys`` on
it). The photos' behaviours answer with a variant of the security-headers function that also
makes renditions private to the browser (``cdn.functions``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from cdn.functions import (
    photos_viewer_response_code,
    renditions_viewer_request_code,
    security_headers_function_code,
)
from cdn.objects import DISPOSITION_PARAMETER, ORIGINALS_PREFIX, RENDITIONS_PREFIX
from pettracker.net import ORIGIN_SECRET_HEADER

# AWS-managed policies (their ids are the same in every account).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
STATIC_PATH = "/static/*"


@dataclass(frozen=True)
class StackSettings:
    bucket_name: str
    region: str  # the bucket's, and Origin Shield's
    app_domain: str  # the load balancer's own name: the app's origin, never used by people
    cdn_domain: str  # the distribution's alias (images.example.com)
    upload_origins: tuple[str, ...]  # site origins allowed to POST uploads to the bucket
    key_group_name: str
    public_keys: tuple[tuple[str, str], ...]  # (name, PEM) of each trusted key
    site_domains: tuple[str, ...] = ()  # the site's public names, also served by the distribution


def cloudfront_template(stack: StackSettings) -> dict:
    if not stack.public_keys:
        raise ValueError("a key group needs at least one public key")
    resources = {
        "PhotoBucket": _bucket(stack),
        "PhotoBucketPolicy": _bucket_policy(),
        "OriginAccessControl": _origin_access_control(stack),
        "OriginalsCachePolicy": _originals_cache_policy(stack),
        **_public_keys(stack),
        "SigningKeyGroup": _key_group(stack),
        "SecurityHeadersFunction": _function(
            _name(stack, "security-headers"), "Security headers", security_headers_function_code()
        ),
        "PhotosResponseFunction": _function(
            _name(stack, "photos-response"),
            "Security headers; renditions private to the browser",
            photos_viewer_response_code(),
        ),
        "AccessFloorStore": _access_floor_store(stack),
        "RenditionsRequestFunction": _function(
            _name(stack, "renditions-request"),
            "Refuses grants below the pet's access floor (KeyValueStore)",
            renditions_viewer_request_code(),
            key_value_store="AccessFloorStore",
        ),
        "Distribution": _distribution(stack),
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "PetTracker: private photo bucket behind CloudFront with signed URLs",
        "Parameters": {
            "CertificateArn": {
                "Type": "String",
                "AllowedPattern": "arn:aws:acm:us-east-1:[0-9]{12}:certificate/.+",
                "Description": "ACM certificate (us-east-1) for " + ", ".join(_aliases(stack)),
            },
            "OriginSecret": {
                "Type": "String",
                "NoEcho": True,
                "MinLength": 32,
                "Description": "The app's ORIGIN_SECRET: CloudFront adds it to every request "
                f"as {ORIGIN_SECRET_HEADER}, and the app refuses requests without it",
            },
        },
        "Resources": resources,
        "Outputs": {
            "DistributionId": {"Value": {"Ref": "Distribution"}},
            "DistributionDomainName": {"Value": {"Fn::GetAtt": ["Distribution", "DomainName"]}},
            "BucketName": {"Value": {"Ref": "PhotoBucket"}},
            "KeyGroupId": {"Value": {"Ref": "SigningKeyGroup"}},
            "KeyValueStoreArn": {
                "Description": "The pets' access floors: set CLOUDFRONT_KEY_VALUE_STORE_ARN to it",
                "Value": {"Fn::GetAtt": ["AccessFloorStore", "Arn"]},
            },
        },
    }


def cloudfront_template_json(stack: StackSettings) -> str:
    return json.dumps(cloudfront_template(stack), indent=2) + "\n"


def _bucket(stack: StackSettings) -> dict:
    return {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "BucketName": stack.bucket_name,
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]
            },
            # Browsers upload originals straight to the bucket (presigned POST).
            "CorsConfiguration": {
                "CorsRules": [
                    {
                        "AllowedMethods": ["POST"],
                        "AllowedOrigins": list(stack.upload_origins),
                        "AllowedHeaders": ["*"],
                        "MaxAge": 3000,
                    }
                ]
            },
        },
    }


def _bucket_policy() -> dict:
    bucket_objects = {"Fn::Sub": "${PhotoBucket.Arn}/*"}
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": {"Ref": "PhotoBucket"},
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "CloudFrontReadsThroughOriginAccessControl",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudfront.amazonaws.com"},
                        "Action": "s3:GetObject",
                        "Resource": bucket_objects,
                        "Condition": {
                            "StringEquals": {
                                "AWS:SourceArn": {
                                    "Fn::Sub": "arn:${AWS::Partition}:cloudfront::"
                                    "${AWS::AccountId}:distribution/${Distribution}"
                                }
                            }
                        },
                    },
                    {
                        "Sid": "TlsOnly",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [{"Fn::GetAtt": ["PhotoBucket", "Arn"]}, bucket_objects],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                ],
            },
        },
    }


def _origin_access_control(stack: StackSettings) -> dict:
    return {
        "Type": "AWS::CloudFront::OriginAccessControl",
        "Properties": {
            "OriginAccessControlConfig": {
                "Name": f"{stack.bucket_name}-oac",
                "OriginAccessControlOriginType": "s3",
                "SigningBehavior": "always",
                "SigningProtocol": "sigv4",
            }
        },
    }


def _originals_cache_policy(stack: StackSettings) -> dict:
    """CachingOptimized's settings, plus the one query parameter S3 needs to send an original
    under its uploaded name (``response-content-disposition``: honoured by S3 on the signed
    requests origin access control makes). It is part of the signed URL, so it cannot be
    changed by the viewer."""
    return {
        "Type": "AWS::CloudFront::CachePolicy",
        "Properties": {
            "CachePolicyConfig": {
                "Name": _name(stack, "originals"),
                "Comment": "Originals: the download's name reaches S3",
                "DefaultTTL": 86400,
                "MaxTTL": 31536000,
                "MinTTL": 1,
                "ParametersInCacheKeyAndForwardedToOrigin": {
                    "CookiesConfig": {"CookieBehavior": "none"},
                    "HeadersConfig": {"HeaderBehavior": "none"},
                    "QueryStringsConfig": {
                        "QueryStringBehavior": "whitelist",
                        "QueryStrings": [DISPOSITION_PARAMETER],
                    },
                    "EnableAcceptEncodingGzip": False,
                    "EnableAcceptEncodingBrotli": False,
                },
            }
        },
    }


def _public_keys(stack: StackSettings) -> dict:
    return {
        f"PublicKey{index}": {
            "Type": "AWS::CloudFront::PublicKey",
            "Properties": {
                "PublicKeyConfig": {
                    "CallerReference": name,
                    "Name": name,
                    "EncodedKey": pem,
                    "Comment": "PetTracker signing key",
                }
            },
        }
        for index, (name, pem) in enumerate(stack.public_keys, start=1)
    }


def _key_group(stack: StackSettings) -> dict:
    items = [{"Ref": f"PublicKey{index}"} for index in range(1, len(stack.public_keys) + 1)]
    return {
        "Type": "AWS::CloudFront::KeyGroup",
        "Properties": {"KeyGroupConfig": {"Name": stack.key_group_name, "Items": items}},
    }


def _name(stack: StackSettings, suffix: str) -> str:
    """A CloudFront name (letters, digits, ``-`` and ``_``, at most 64) for this stack."""
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", stack.bucket_name)
    return f"{prefix[: 63 - len(suffix)]}-{suffix}"


def _function(name: str, comment: str, code: str, *, key_value_store: str | None = None) -> dict:
    config: dict = {"Comment": comment, "Runtime": "cloudfront-js-2.0"}
    if key_value_store:
        arn = {"Fn::GetAtt": [key_value_store, "Arn"]}
        config["KeyValueStoreAssociations"] = [{"KeyValueStoreARN": arn}]
    return {
        "Type": "AWS::CloudFront::Function",
        "Properties": {
            "Name": name,
            "AutoPublish": True,
            "FunctionConfig": config,
            "FunctionCode": code,
        },
    }


def _access_floor_store(stack: StackSettings) -> dict:
    return {
        "Type": "AWS::CloudFront::KeyValueStore",
        "Properties": {
            "Name": _name(stack, "access-floors"),
            "Comment": "Pet id -> access floor (epoch seconds), written by the application",
        },
    }


def _association(event_type: str, function: str) -> dict:
    arn = {"Fn::GetAtt": [function, "FunctionMetadata.FunctionARN"]}
    return {"EventType": event_type, "FunctionARN": arn}


def _with_headers(behaviour: dict, *associations: dict) -> dict:
    """``behaviour`` over HTTPS, with the security headers' function unless ``associations``
    (one function per event type) say otherwise."""
    return {
        **behaviour,
        "ViewerProtocolPolicy": "redirect-to-https",
        "FunctionAssociations": list(associations)
        or [_association("viewer-response", "SecurityHeadersFunction")],
    }


def _signed_photos(path: str, *, revocable: bool = False, cache_policy=CACHING_OPTIMIZED) -> dict:
    associations = [_association("viewer-response", "PhotosResponseFunction")]
    if revocable:
        associations.insert(0, _association("viewer-request", "RenditionsRequestFunction"))
    return _with_headers(
        {
            "PathPattern": path,
            "TargetOriginId": "photos",
            "CachePolicyId": cache_policy,
            "TrustedKeyGroups": [{"Ref": "SigningKeyGroup"}],
            "AllowedMethods": ["GET", "HEAD"],
            "CachedMethods": ["GET", "HEAD"],
            "Compress": False,  # WebP and JPEG are compressed already
        },
        *associations,
    )


def _app(path: str | None, cache_policy: str) -> dict:
    behaviour = {
        "TargetOriginId": "app",
        "CachePolicyId": cache_policy,
        "Compress": True,
    }
    if cache_policy == CACHING_DISABLED:
        methods = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
        behaviour |= {
            "AllowedMethods": methods,
            "CachedMethods": ["GET", "HEAD"],
            "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST_HEADER,
        }
    if path:
        behaviour["PathPattern"] = path
    return _with_headers(behaviour)


def _aliases(stack: StackSettings) -> list[str]:
    return [stack.cdn_domain, *(d for d in stack.site_domains if d != stack.cdn_domain)]


def _distribution(stack: StackSettings) -> dict:
    photos_origin = {
        "Id": "photos",
        "DomainName": {"Fn::GetAtt": ["PhotoBucket", "RegionalDomainName"]},
        "S3OriginConfig": {"OriginAccessIdentity": ""},
        "OriginAccessControlId": {"Fn::GetAtt": ["OriginAccessControl", "Id"]},
        "OriginShield": {"Enabled": True, "OriginShieldRegion": stack.region},
    }
    app_origin = {
        "Id": "app",
        "DomainName": stack.app_domain,
        "CustomOriginConfig": {
            "OriginProtocolPolicy": "https-only",
            "OriginSSLProtocols": ["TLSv1.2"],
        },
        # The one way in: the app answers only requests carrying this, so every request has
        # come through CloudFront and then the load balancer (PROXIES=cloudfront,load-balancer).
        "OriginCustomHeaders": [
            {"HeaderName": ORIGIN_SECRET_HEADER, "HeaderValue": {"Ref": "OriginSecret"}}
        ],
    }
    return {
        "Type": "AWS::CloudFront::Distribution",
        "Properties": {
            "DistributionConfig": {
                "Enabled": True,
                "Comment": "PetTracker photos and application",
                "Aliases": _aliases(stack),
                "HttpVersion": "http2and3",
                "IPV6Enabled": True,
                "PriceClass": "PriceClass_All",
                "ViewerCertificate": {
                    "AcmCertificateArn": {"Ref": "CertificateArn"},
                    "SslSupportMethod": "sni-only",
                    "MinimumProtocolVersion": "TLSv1.2_2021",
                },
                "Origins": [photos_origin, app_origin],
                "DefaultCacheBehavior": _app(None, CACHING_DISABLED),
                "CacheBehaviors": [
                    _signed_photos(f"/{RENDITIONS_PREFIX}*", revocable=True),
                    _signed_photos(
                        f"/{ORIGINALS_PREFIX}*", cache_policy={"Ref": "OriginalsCachePolicy"}
                    ),
                    _app("/api/*", CACHING_DISABLED),
                    _app(STATIC_PATH, CACHING_OPTIMIZED),
                ],
            }
        },
    }
