import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpointAwsService,
  IpAddresses,
  Peer,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ConfigError } from '#core/errors.ts';

/**
 * The AWS services an ECS container instance in a subnet without internet access must still reach, each
 * through an interface endpoint (private DNS on, so the agent and Docker use the usual host names):
 * ECR's API and registry to pull the trainer image (whose layers come from S3, through the gateway
 * endpoint), CloudWatch Logs for the job's `awslogs` driver, and the three ECS endpoints the agent
 * registers, polls for tasks and reports through. Each costs about $0.01 per hour per AZ.
 */
export const TRAINING_INTERFACE_ENDPOINTS = {
  EcrApi: InterfaceVpcEndpointAwsService.ECR,
  EcrDocker: InterfaceVpcEndpointAwsService.ECR_DOCKER,
  Logs: InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  Ecs: InterfaceVpcEndpointAwsService.ECS,
  EcsAgent: InterfaceVpcEndpointAwsService.ECS_AGENT,
  EcsTelemetry: InterfaceVpcEndpointAwsService.ECS_TELEMETRY,
} as const;

/** The VPC's address range, written out (not a token) so the endpoints' ingress rule names it plainly. */
export const TRAINING_VPC_CIDR = '10.40.0.0/16';

/** An environment-agnostic stack knows two AZs (`Fn::GetAZs` picked by index), so at most two. */
const MAX_AZS = 2;

/** Properties of {@link AttuneNetwork}. */
export interface AttuneNetworkProps {
  /**
   * How many Availability Zones the training subnets span (1 or 2). Two give Spot more capacity pools to
   * draw GPUs from and survive an AZ outage; one halves the interface endpoints' hourly cost.
   * @default 2
   */
  readonly maxAzs?: number;
  /**
   * How long the VPC flow logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly flowLogRetention?: RetentionDays;
}

/**
 * Where the training hosts run: a VPC with isolated subnets only, no internet gateway and no NAT gateway,
 * so a host holding a team's data has no route to the internet. What the hosts need is reached
 * privately: S3 and DynamoDB through gateway endpoints (free), ECR, CloudWatch Logs and ECS through
 * interface endpoints ({@link TRAINING_INTERFACE_ENDPOINTS}). Flow logs (all traffic) go to a log group
 * with a retention.
 */
export class AttuneNetwork extends Construct {
  /** The VPC (this construct's default child, `Resource`). */
  readonly vpc: Vpc;
  /** Where the VPC's flow logs go. */
  readonly flowLogs: LogGroup;
  /** The interface endpoints' security group: HTTPS in from the VPC, nothing out. */
  readonly endpointSecurityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, props: AttuneNetworkProps = {}) {
    super(scope, id);
    const maxAzs = props.maxAzs ?? MAX_AZS;
    if (!Number.isInteger(maxAzs) || maxAzs < 1 || maxAzs > MAX_AZS) {
      throw new ConfigError(
        `${this.node.path}: maxAzs must be 1 or ${MAX_AZS} (an environment-agnostic stack knows two AZs), got ${maxAzs}`,
      );
    }
    this.flowLogs = new LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetention ?? RetentionDays.ONE_MONTH,
    });
    this.vpc = new Vpc(this, 'Resource', {
      ipAddresses: IpAddresses.cidr(TRAINING_VPC_CIDR),
      maxAzs,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Training', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 20 }],
      gatewayEndpoints: {
        S3: { service: GatewayVpcEndpointAwsService.S3 },
        DynamoDb: { service: GatewayVpcEndpointAwsService.DYNAMODB },
      },
      flowLogs: {
        All: {
          destination: FlowLogDestination.toCloudWatchLogs(this.flowLogs),
          trafficType: FlowLogTrafficType.ALL,
        },
      },
    });
    this.endpointSecurityGroup = new SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'Attune VPC interface endpoints: HTTPS from inside the VPC',
      allowAllOutbound: false,
    });
    this.endpointSecurityGroup.addIngressRule(
      Peer.ipv4(TRAINING_VPC_CIDR),
      Port.tcp(443),
      'HTTPS from the VPC',
    );
    for (const [name, service] of Object.entries(TRAINING_INTERFACE_ENDPOINTS)) {
      this.vpc.addInterfaceEndpoint(name, {
        service,
        privateDnsEnabled: true,
        securityGroups: [this.endpointSecurityGroup],
        open: false,
      });
    }
  }
}
